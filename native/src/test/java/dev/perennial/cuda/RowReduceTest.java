/*
 * The row reductions (cuda/src/main/cuda/row_reduce.cu: sum / mean / max, argmax, log-softmax) on the emulated
 * device against ReferenceBackend, under both fiber orders: rows of 1, 5, 7, 31, 33, 128, 301 columns, rank 3,
 * NaN handling (max propagates NaN, argmax ranks NaN last, an all-NaN row gives 0), ties, -inf, shared and fully
 * masking log-softmax masks, empty rows, the launchers' error codes; and the CUDA backend using these kernels
 * (same results and errors as ReferenceBackend, no host fallback for last-dim reductions).
 */
package dev.perennial.cuda;

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

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowReduceTest {
    private static final ReferenceBackend REF = ReferenceBackend.INSTANCE;
    // Sums of <= 301 values of size ~3 in fp32 (128 partial sums, then a tree): absolute error ~1e-6 even when
    // the sum is near 0, hence an atol; log-softmax values are O(1..10) with the rounding of one log-sum-exp.
    private static final Tolerance SUM = new Tolerance(1e-5, 1e-5), LOG_SOFTMAX = new Tolerance(1e-5, 1e-5);

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> cases() {
        int[][] shapes = {{1, 1}, {3, 5}, {2, 3, 7}, {4, 31}, {2, 33}, {5, 128}, {3, 301}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(shapes).map(s -> Arguments.of(o, s)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void reductionsMatchTheReference(FiberOrder order, int[] shape) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(Arrays.hashCode(shape));
        Tensor x = gaussian(rnd, shape);
        DeviceKernels k = EmulatedDevice.kernels();
        SUM.assertClose(REF.sum(x, -1, false), k.rowSum(x), "sum");
        SUM.assertClose(REF.mean(x, -1, false), k.rowMean(x), "mean");
        assertArrayEquals(REF.max(x, -1, false).toFloatArray(), k.rowMax(x).toFloatArray(), "max is exact");
        assertArrayEquals(REF.argmax(x).toLongArray(), k.argmax(x).toLongArray(), "argmax");
        LOG_SOFTMAX.assertClose(REF.logSoftmax(x, null), k.logSoftmax(x, null), "logSoftmax");
        Tensor coarse = coarse(rnd, shape);                               // many ties: lower index must win
        assertArrayEquals(REF.argmax(coarse).toLongArray(), k.argmax(coarse).toLongArray(), "argmax with ties");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logSoftmaxWithSharedMasks(FiberOrder order, int[] shape) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(Arrays.hashCode(shape) + 1);
        Tensor x = gaussian(rnd, shape);
        int[] rowMask = Arrays.copyOfRange(shape, shape.length - 1, shape.length);       // [cols], shared by all rows
        int[] fullMask = shape.clone();
        for (int[] m : new int[][]{rowMask, fullMask}) {
            Tensor mask = mask(rnd, m);
            LOG_SOFTMAX.assertClose(REF.logSoftmax(x, mask), EmulatedDevice.kernels().logSoftmax(x, mask),
                    "logSoftmax");
        }
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void nanInfAndFullyMaskedRows(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new float[]{
                nan, 1, 1, 2, nan, 2,              // NaN loses, tie -> index 3
                nan, nan, nan, nan, nan, nan,      // all NaN -> 0, max NaN
                -inf, nan, -inf, -inf, -inf, -inf, // -inf beats NaN -> 0
                nan, -inf, nan, nan, nan, nan,     // -> 1
                3, 3, 3, 3, 3, 3}, 5, 6);          // all equal -> 0
        DeviceKernels k = EmulatedDevice.kernels();
        assertArrayEquals(new long[]{3, 0, 0, 1, 0}, k.argmax(x).toLongArray());
        assertArrayEquals(REF.argmax(x).toLongArray(), k.argmax(x).toLongArray());
        assertArrayEquals(REF.max(x, -1, false).toFloatArray(), k.rowMax(x).toFloatArray(), "NaN propagates in max");
        assertTrue(Float.isNaN(k.rowMax(x).getFloat(0)) && Float.isNaN(k.rowSum(x).getFloat(1)));

        float[] m = new float[4 * 9];
        Arrays.fill(m, 9, 18, -inf);                                       // row 1 fully masked
        m[3] = -inf;                                                       // row 0 partly masked
        Tensor mask = Tensor.of(m, 4, 9), y = gaussian(new Random(6), new int[]{4, 9});
        Tensor out = k.logSoftmax(y, mask);
        for (int j = 0; j < 9; j++) assertEquals(-inf, out.getFloat(1, j), "fully masked row");
        assertEquals(-inf, out.getFloat(0, 3));
        LOG_SOFTMAX.assertClose(REF.logSoftmax(y, mask), out, "logSoftmax");
    }

    @Test
    void emptyRowsAndLauncherErrors() {
        DeviceKernels k = EmulatedDevice.kernels();
        Tensor empty = Tensor.zeros(3, 0);
        assertArrayEquals(new float[3], k.rowSum(empty).toFloatArray());
        for (float v : k.rowMean(empty).toFloatArray()) assertTrue(Float.isNaN(v), "mean of nothing");
        assertThrows(IllegalArgumentException.class, () -> k.rowMax(empty));
        assertThrows(IllegalArgumentException.class, () -> k.argmax(empty));
        assertArrayEquals(new int[]{2, 0}, k.logSoftmax(Tensor.zeros(2, 0), null).shape());
        assertArrayEquals(new int[0], k.rowSum(Tensor.of(new float[]{1, 2}, 2)).shape(), "rank 1 -> scalar");

        try (FloatPointer in = new FloatPointer(8); FloatPointer out = new FloatPointer(8);
             IntPointer idx = new IntPointer(8)) {
            assertEquals(1, EmuKernels.pn_row_reduce(in, out, 2, 4, 3, null), "unknown op");
            assertEquals(1, EmuKernels.pn_row_reduce(in, out, -1, 4, 0, null), "rows < 0");
            assertEquals(1, EmuKernels.pn_row_reduce(in, out, 2, 0, 2, null), "max of nothing");
            assertEquals(0, EmuKernels.pn_row_reduce(null, null, 0, 4, 2, null), "rows = 0");
            assertEquals(1, EmuKernels.pn_row_argmax(in, idx, 2, 0, null), "argmax of nothing");
            assertEquals(1, EmuKernels.pn_row_argmax(in, idx, 2, -4, null), "cols < 0");
            assertEquals(1, EmuKernels.pn_log_softmax_rows(in, in, out, 3, 2, 2, null), "rows % mask_rows != 0");
            assertEquals(1, EmuKernels.pn_log_softmax_rows(in, in, out, 2, 2, 0, null), "mask_rows = 0");
            assertEquals(0, EmuKernels.pn_log_softmax_rows(in, null, out, 4, 2, 0, null), "no mask");
        }
    }

    @Test
    void cudaBackendRunsTheseOpsOnTheDevice() {
        CudaBackend be = CudaBackend.emulated();
        Random rnd = new Random(12);
        Tensor x = gaussian(rnd, new int[]{2, 3, 9}), mask = mask(rnd, new int[]{3, 9});
        for (boolean keep : new boolean[]{false, true}) {
            SUM.assertClose(REF.sum(x, -1, keep), be.sum(x, 2, keep), "sum");
            SUM.assertClose(REF.mean(x, -1, keep), be.mean(x, -1, keep), "mean");
            SUM.assertClose(REF.max(x, -1, keep), be.max(x, -1, keep), "max");
        }
        assertArrayEquals(REF.argmax(x).toLongArray(), be.argmax(x).toLongArray());
        LOG_SOFTMAX.assertClose(REF.logSoftmax(x, mask), be.logSoftmax(x, mask), "logSoftmax");
        Tensor logits = gaussian(rnd, new int[]{5, 11}), targets = Tensor.ofLongs(new long[]{3, -100, 10, 0, 7}, 5);
        SUM.assertClose(REF.crossEntropy(logits, targets, -100), be.crossEntropy(logits, targets, -100),
                "crossEntropy");
        assertFalse(be.hostFallbacks().stream().anyMatch(op -> Arrays.asList("sum", "mean", "max", "argmax",
                "logSoftmax", "crossEntropy").contains(op)), "fell back: " + be.hostFallbacks());

        SUM.assertClose(REF.sum(x, 1, true), be.sum(x, 1, true), "sum over a middle dim (host)");
        assertThrows(IndexOutOfBoundsException.class,
                () -> be.crossEntropy(Tensor.zeros(2, 3), Tensor.ofLongs(new long[]{0, 3}, 2), -100));
        assertThrows(IllegalArgumentException.class, () -> be.argmax(Tensor.zeros(2, 0)));
        Tensor ignored = Tensor.ofLongs(new long[]{-100, -100}, 2);
        assertArrayEquals(new float[2], be.crossEntropy(Tensor.zeros(2, 3), ignored, -100).toFloatArray());
    }

    private static Tensor gaussian(Random rnd, int[] shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (3 * rnd.nextGaussian());
        return Tensor.of(v, shape);
    }

    private static Tensor coarse(Random rnd, int[] shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(3);
        return Tensor.of(v, shape);
    }

    // Mostly zeros, some -inf, some finite offsets.
    private static Tensor mask(Random rnd, int[] shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            int r = rnd.nextInt(4);
            v[i] = r == 0 ? Float.NEGATIVE_INFINITY : r == 1 ? (float) rnd.nextGaussian() : 0f;
        }
        return Tensor.of(v, shape);
    }
}
