/*
 * The embedding gather (cuda/src/main/cuda/embedding.cu) on the emulated device against
 * ReferenceBackend.embedding, under both fiber orders: F32, F16 and BF16 tables, I32 and I64 ids of rank 0, 1 and
 * 2, row lengths 1, 7 and 130 (above the 128 threads). A gather with exact widening must be exact, so the
 * tolerance is 0. Bad ids: the IllegalArgumentException names the id and the FIRST bad position even when later
 * blocks also hit bad ids (atomicMax on n - i), the launcher clears a stale flag, and dim 0 still checks ids.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddingTest {
    private static final int VOCAB = 11;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> cases() {
        int[][] idShapes = {{}, {5}, {2, 3}};
        List<Arguments> rows = new ArrayList<>();
        for (FiberOrder order : FiberOrder.values())
            for (DType table : new DType[]{DType.F32, DType.F16, DType.BF16})
                for (int dim : new int[]{1, 7, 130})
                    for (int[] ids : idShapes)
                        rows.add(Arguments.of(order, table, dim, ids, ids.length == 1 ? DType.I64 : DType.I32));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} table dim {2} ids{3} {4}")
    @MethodSource("cases")
    void matchesReference(FiberOrder order, DType tableType, int dim, int[] idShape, DType idType) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(dim * 13L + idShape.length);
        Tensor table = table(rnd, dim, tableType);
        Tensor ids = ids(rnd, idShape, idType);
        Close.assertClose(ReferenceBackend.INSTANCE.embedding(table, ids), EmulatedDevice.kernels().embedding(table, ids),
                0, 0, "embedding");
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void firstBadIdIsNamed(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Tensor table = table(new Random(1), 4, DType.BF16);
        Tensor ids = Tensor.ofInts(new int[]{3, 0, 12, 5, -1, 40}, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().embedding(table, ids));
        assertTrue(e.getMessage().contains("token id 12 at position 2"), e.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().embedding(table, Tensor.ofLongs(new long[]{-1}, 1)));
        assertTrue(negative.getMessage().contains("token id -1 at position 0"), negative.getMessage());
        IllegalArgumentException noColumns = assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().embedding(Tensor.zeros(VOCAB, 0), Tensor.ofInts(new int[]{0, VOCAB}, 2)));
        assertTrue(noColumns.getMessage().contains("token id 11 at position 1"), noColumns.getMessage());
    }

    @Test
    void launcherClearsTheFlagAndRejectsBadArguments() {
        Tensor table = table(new Random(2), 3, DType.F32);
        try (IntPointer ids = new IntPointer(2, 4, 6); IntPointer flag = new IntPointer(1); FloatPointer out = new FloatPointer(9)) {
            flag.put(99);
            assertEquals(0, EmuKernels.pn_embedding(table.storage().pointer(), 0, 0, VOCAB, 3, ids, 3, 0, 3, out, flag, null));
            assertEquals(0, flag.get(), "stale flag cleared");
            assertEquals(table.getFloat(4, 2), out.get(5), "row of id 4");
            assertEquals(1, EmuKernels.pn_embedding(table.storage().pointer(), 3, 0, VOCAB, 3, ids, 3, 0, 3, out, flag, null), "table dtype");
            assertEquals(1, EmuKernels.pn_embedding(table.storage().pointer(), 0, 0, VOCAB, 3, ids, 0, 0, 3, out, flag, null), "ids dtype");
            assertEquals(1, EmuKernels.pn_embedding(table.storage().pointer(), 0, 0, -1, 3, ids, 3, 0, 3, out, flag, null), "vocab");
            assertEquals(1, EmuKernels.pn_embedding(table.storage().pointer(), 0, 0, VOCAB, 3, ids, 3, 0, 3, out, null, null), "no flag");
            flag.put(99);
            assertEquals(0, EmuKernels.pn_embedding(null, 0, 0, VOCAB, 3, null, 3, 0, 0, null, flag, null), "n = 0");
            assertEquals(0, flag.get(), "n = 0 clears the flag");
        }
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().embedding(Tensor.zeros(DType.I32, 4, 2),
                Tensor.ofInts(new int[]{0}, 1)));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().embedding(table, Tensor.zeros(2)));
    }

    @Test
    void stridedTableIsCopiedAndCorrect() {
        Tensor table = table(new Random(4), 6, DType.F16).narrow(1, 1, 4);   // [11, 4] view with row stride 6
        Tensor ids = Tensor.ofInts(new int[]{10, 0, 5}, 3);
        Close.assertClose(ReferenceBackend.INSTANCE.embedding(table, ids), EmulatedDevice.kernels().embedding(table, ids),
                0, 0, "narrowed table");
    }

    private static Tensor table(Random rnd, int dim, DType dtype) {
        float[] v = new float[VOCAB * dim];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        Tensor t = Tensor.of(v, VOCAB, dim);
        return dtype == DType.F32 ? t : t.to(dtype);
    }

    private static Tensor ids(Random rnd, int[] shape, DType dtype) {
        int n = 1;
        for (int s : shape) n *= s;
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(VOCAB);
        if (n > 1) v[n - 1] = VOCAB - 1;                                  // last row of the table
        Tensor t = Tensor.ofLongs(v, shape);
        return dtype == DType.I64 ? t : t.to(dtype);
    }
}
