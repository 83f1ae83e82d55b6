/* Bad shapes, ids and arguments give clear exceptions on every backend (and the reference). */
package dev.perennial.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BackendErrorsTest {
    static List<Backend> all() {
        List<Backend> l = new ArrayList<>(OpTableTest.backends());
        l.add(ReferenceBackend.INSTANCE);
        return l;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void rejectsBadInputs(Backend be) {
        Tensor a = Tensor.zeros(3, 4), b = Tensor.zeros(5, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.matmul(a, b));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.matmul(Tensor.zeros(3), Tensor.zeros(3, 1)));
        assertThrows(IllegalArgumentException.class, () -> be.add(Tensor.zeros(3, 4), Tensor.zeros(3)));
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> be.embedding(Tensor.zeros(10, 4), Tensor.ofLongs(new long[]{3, 10}, 2)));
        assertTrue(oob.getMessage().contains("10"), oob.getMessage());
        assertThrows(IndexOutOfBoundsException.class,
                () -> be.embedding(Tensor.zeros(10, 4), Tensor.ofLongs(new long[]{-1}, 1)));
        assertThrows(IllegalArgumentException.class, () -> be.topk(Tensor.zeros(2, 3), 4));
        assertThrows(IndexOutOfBoundsException.class,
                () -> be.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(new long[]{0, 3}, 2), -100));
        assertThrows(IllegalArgumentException.class,
                () -> be.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(new long[]{0}, 1), -100));
        assertThrows(IllegalArgumentException.class, () -> be.softmax(Tensor.zeros(2, 3), Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> be.rope(Tensor.zeros(1, 1, 2, 3), Tensor.ofLongs(new long[]{0, 1}, 2), 1e4f));
        assertThrows(IllegalArgumentException.class, () -> be.split(Tensor.zeros(2, 5), new int[]{2, 2}, 1));
        assertThrows(IllegalArgumentException.class, () -> be.argmax(Tensor.zeros(2, 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void crossEntropyOfAllIgnoredRowsIsZero(Backend be) {
        Tensor loss = be.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(new long[]{-100, -100}, 2), -100);
        assertArrayEquals(new float[]{0, 0}, loss.toFloatArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void softmaxOfUniformRowIsUniform(Backend be) {
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.25f, 0.25f}, be.softmax(Tensor.zeros(1, 4), null).toFloatArray(), 1e-7f);
    }
}
