/*
 * The softmax_rows kernel (cuda/src/main/cuda/softmax_rows.cu) on the emulated device against
 * ReferenceBackend.softmax(x, scale, mask), |a - r| <= 1e-6 + 1e-5 |r|, under both fiber orders: odd and even
 * row lengths below, at and above the 128-thread block, masks shared by rows, partly and fully masked rows.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftmaxRowsTest {
    private static final double ATOL = 1e-6, RTOL = 1e-5;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** x shape, mask shape (null = no mask), scale. */
    static Stream<Arguments> cases() {
        Object[][] shapes = {
                {new int[]{1, 1}, null, 1f},
                {new int[]{3, 5}, null, 1f},
                {new int[]{4, 32}, new int[]{1, 32}, 0.125f},
                {new int[]{2, 3, 7}, new int[]{3, 7}, 0.5f},      // [T, T]-style mask shared by the leading dim
                {new int[]{5, 128}, new int[]{5, 128}, 1f},
                {new int[]{3, 301}, new int[]{301}, 2f},           // row longer than the block, odd
        };
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(shapes)
                .map(s -> Arguments.of(o, s[0], s[1], s[2])));
    }

    @ParameterizedTest(name = "{0} x{1} mask{2} scale {3}")
    @MethodSource("cases")
    void matchesReference(FiberOrder order, int[] shape, int[] maskShape, float scale) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(Arrays.hashCode(shape) * 31L + order.ordinal());
        Tensor x = random(rnd, shape);
        Tensor mask = maskShape == null ? null : causalish(rnd, maskShape);
        assertClose(ReferenceBackend.INSTANCE.softmax(x, scale, mask), EmulatedDevice.kernels().softmax(x, scale, mask));
    }

    @ParameterizedTest
    @MethodSource("orders")
    void fullyMaskedRowIsZeros(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Tensor x = random(new Random(7), new int[]{3, 9});
        float[] m = new float[3 * 9];
        Arrays.fill(m, 9, 18, Float.NEGATIVE_INFINITY);         // row 1 fully masked
        m[3] = Float.NEGATIVE_INFINITY;                          // row 0 partly masked
        Tensor mask = Tensor.of(m, 3, 9);
        Tensor y = EmulatedDevice.kernels().softmax(x, 1f, mask);
        for (int j = 0; j < 9; j++) assertEquals(0f, y.getFloat(1, j), "masked row, column " + j);
        assertEquals(0f, y.getFloat(0, 3));
        assertClose(ReferenceBackend.INSTANCE.softmax(x, 1f, mask), y);
    }

    static Stream<FiberOrder> orders() { return Stream.of(FiberOrder.values()); }

    @Test
    void nonContiguousInputIsCopiedNotMisread() {
        Tensor x = random(new Random(3), new int[]{6, 4}).transpose(0, 1);   // [4, 6] view with strides (1, 4)
        assertClose(ReferenceBackend.INSTANCE.softmax(x, 1f, null), EmulatedDevice.kernels().softmax(x, 1f, null));
    }

    @Test
    void maskBroadcastInAMiddleDimIsExpandedAndAnIncompatibleOneRejected() {
        Random rnd = new Random(11);
        Tensor x = random(rnd, new int[]{2, 3, 4, 6});
        Tensor mask = causalish(rnd, new int[]{2, 1, 4, 6});                  // like [B, 1, T, Tk] vs [B, H, T, Tk]
        assertClose(ReferenceBackend.INSTANCE.softmax(x, 1f, mask), EmulatedDevice.kernels().softmax(x, 1f, mask));
        Tensor column = causalish(rnd, new int[]{4, 1});                      // broadcast along the row itself
        Tensor y = random(rnd, new int[]{4, 6});
        assertClose(ReferenceBackend.INSTANCE.softmax(y, 1f, column), EmulatedDevice.kernels().softmax(y, 1f, column));
        assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().softmax(Tensor.zeros(4, 6), 1f, Tensor.zeros(3, 6)));
    }

    private static Tensor random(Random rnd, int[] shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (3 * rnd.nextGaussian());
        return Tensor.of(v, shape);
    }

    // Mostly zeros, some -inf, some finite offsets: every masked form attention uses.
    private static Tensor causalish(Random rnd, int[] shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            int r = rnd.nextInt(4);
            v[i] = r == 0 ? Float.NEGATIVE_INFINITY : r == 1 ? (float) rnd.nextGaussian() : 0f;
        }
        return Tensor.of(v, shape);
    }

    private static void assertClose(Tensor expected, Tensor actual) {
        assertTrue(Arrays.equals(expected.shape(), actual.shape()), "shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(a[i] - e[i]) <= ATOL + RTOL * Math.abs(e[i]),
                    "element " + i + ": expected " + e[i] + ", got " + a[i]);
        }
    }
}
