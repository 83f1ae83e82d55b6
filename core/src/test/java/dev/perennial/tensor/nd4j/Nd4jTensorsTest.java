/* Zero-copy conversion both ways between tensors and INDArrays, and the ND4J GEMM against the reference. */
package dev.perennial.tensor.nd4j;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.CpuBackend;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Nd4jTensorsTest {
    @Test
    void tensorToINDArraySharesMemory() {
        Tensor t = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        INDArray a = Nd4jTensors.toINDArray(t);
        assertArrayEquals(new long[]{2, 3}, a.shape());
        assertEquals(t.storage().address(), a.data().addressPointer().address());
        assertEquals(6f, a.getFloat(1, 2));
        a.putScalar(new long[]{0, 1}, 20f);
        assertEquals(20f, t.getFloat(0, 1));          // write through ND4J visible in the tensor
        t.setFloat(-5f, 1, 0);
        assertEquals(-5f, a.getFloat(1, 0));          // and the other way
    }

    @Test
    void transposedViewKeepsStrides() {
        Tensor t = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        INDArray a = Nd4jTensors.toINDArray(t);
        assertArrayEquals(new long[]{3, 2}, a.shape());
        assertEquals(4f, a.getFloat(0, 1));
        assertEquals(t.storage().address(), a.data().addressPointer().address());
    }

    @Test
    void indArrayToTensorSharesMemory() {
        INDArray a = Nd4j.create(new float[]{1, 2, 3, 4, 5, 6, 7, 8}, new long[]{2, 4}, 'c');
        Tensor t = Nd4jTensors.fromINDArray(a);
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(new int[]{2, 4}, t.shape());
        assertEquals(a.data().addressPointer().address(), t.storage().address());
        t.setFloat(100f, 1, 3);
        assertEquals(100f, a.getFloat(1, 3));
        a.putScalar(0, 0, -1f);
        assertEquals(-1f, t.getFloat(0, 0));
    }

    @Test
    void indArrayViewToTensor() {
        INDArray a = Nd4j.create(new float[]{1, 2, 3, 4, 5, 6, 7, 8}, new long[]{2, 4}, 'c');
        INDArray col = a.getColumn(2);
        Tensor t = Nd4jTensors.fromINDArray(col);
        assertArrayEquals(col.toFloatVector(), t.toFloatArray());
        Tensor l = Nd4jTensors.fromINDArray(Nd4j.create(new long[]{7, -2}, new long[]{2}, DataType.INT64));
        assertArrayEquals(new long[]{7, -2}, l.toLongArray());
    }

    @Test
    void nd4jGemmMatchesReference() {
        Random r = new Random(7);
        float[] av = new float[37 * 53], bv = new float[53 * 29];
        for (int i = 0; i < av.length; i++) av[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < bv.length; i++) bv[i] = r.nextFloat() * 2 - 1;
        Tensor a = Tensor.of(av, 37, 53), b = Tensor.of(bv, 53, 29);
        float[] ref = ReferenceBackend.INSTANCE.matmul(a, b).toFloatArray();
        float[] got = new CpuBackend(Nd4jGemm.INSTANCE).matmul(a, b).toFloatArray();
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-6 * 53 + 1e-5 * Math.abs(ref[i]));
    }
}
