/*
 * The loss kernels (cuda/src/main/cuda/cross_entropy.cu) on the emulated device, both fiber orders: the forward
 * against ReferenceBackend.crossEntropy (loss) and a double log-sum-exp (lse), the backward against
 * dloss (softmax - onehot) evaluated in double; odd vocabularies around the 128-thread block, ignored rows,
 * BF16 and transposed logits, the Backend error for a bad target, the launchers' NaN contract and error codes.
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

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossEntropyTest {
    private static final int IGNORE = -100;
    // loss and lse are O(1..10) from an fp32 sum over V <= 1000 logits (128 partial sums, then a tree);
    // gradient entries are dloss * (p - [v == t]) with |.| <= ~1 and p carrying the rounding of lse.
    private static final Tolerance LOSS = new Tolerance(1e-5, 1e-5), GRAD = new Tolerance(1e-6, 1e-5);

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** N, V, logit scale. */
    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1}, {3, 31, 3}, {4, 33, 5}, {2, 128, 4}, {5, 129, 2}, {2, 1000, 8}, {3, 300, 1000}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes)
                .map(s -> Arguments.of(o, s[0], s[1], s[2])));
    }

    @ParameterizedTest(name = "{0} N={1} V={2} scale={3}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheReference(FiberOrder order, int n, int v, int scale) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(n * 7919L + v);
        Tensor logits = TokenScoresTest.gaussian(rnd, scale, n, v), targets = TokenScoresTest.targets(rnd, n, v);
        Tensor dloss = TokenScoresTest.gaussian(rnd, 1, 1, n).reshape(n);

        DeviceKernels.CrossEntropyForward fwd = EmulatedDevice.kernels().crossEntropy(logits, targets, IGNORE);
        LOSS.assertClose(ReferenceBackend.INSTANCE.crossEntropy(logits, targets, IGNORE), fwd.loss(), "loss");
        LOSS.assertClose(lse(logits, targets), fwd.lse().toFloatArray(), "lse");

        Tensor dlogits = EmulatedDevice.kernels().crossEntropyBackward(logits, targets, fwd.lse(), dloss, IGNORE);
        GRAD.assertClose(gradient(logits, targets, dloss), dlogits.toFloatArray(), "dlogits");
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void ignoredRowsHaveZeroLossAndGradientAndViewsAreRead(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(4);
        Tensor logits = TokenScoresTest.gaussian(rnd, 3, 45, 4).transpose(0, 1);      // [4, 45] strided view
        Tensor targets = Tensor.ofInts(new int[]{IGNORE, 44, IGNORE, 0}, 4);
        Tensor dloss = Tensor.of(new float[]{1f, 0.5f, 2f, -1f}, 4);
        for (Tensor x : new Tensor[]{logits, logits.to(DType.BF16)}) {
            Tensor x32 = x.to(DType.F32);
            DeviceKernels.CrossEntropyForward fwd = EmulatedDevice.kernels().crossEntropy(x, targets, IGNORE);
            assertEquals(0f, fwd.loss().getFloat(0));
            assertEquals(0f, fwd.loss().getFloat(2));
            LOSS.assertClose(ReferenceBackend.INSTANCE.crossEntropy(x32, targets, IGNORE), fwd.loss(), "loss");
            Tensor d = EmulatedDevice.kernels().crossEntropyBackward(x, targets, fwd.lse(), dloss, IGNORE);
            for (int j = 0; j < 45; j++) {
                assertEquals(0f, d.getFloat(0, j), "ignored row 0");
                assertEquals(0f, d.getFloat(2, j), "ignored row 2");
            }
            GRAD.assertClose(gradient(x32, targets, dloss), d.toFloatArray(), "dlogits");
        }
    }

    @Test
    void aBadTargetIsTheBackendErrorOnTheFacadeAndNaNOnTheLauncher() {
        Tensor logits = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        assertThrows(IndexOutOfBoundsException.class,
                () -> EmulatedDevice.kernels().crossEntropy(logits, Tensor.ofLongs(new long[]{0, 3}, 2), IGNORE));
        assertThrows(IndexOutOfBoundsException.class, () -> EmulatedDevice.kernels().crossEntropyBackward(logits,
                Tensor.ofLongs(new long[]{-1, 0}, 2), Tensor.zeros(2), Tensor.zeros(2), IGNORE));
        assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().crossEntropy(logits, Tensor.ofLongs(new long[]{0}, 1), IGNORE));

        Tensor targets = Tensor.ofInts(new int[]{3, 1}, 2);
        try (FloatPointer loss = new FloatPointer(2); FloatPointer lse = new FloatPointer(2);
             FloatPointer dloss = new FloatPointer(1f, 1f); FloatPointer d = new FloatPointer(6)) {
            FloatPointer x = DeviceKernels.floats(logits);
            IntPointer t = DeviceKernels.ints(targets);
            assertEquals(0, EmuKernels.pn_cross_entropy_forward(x, t, 2, 3, IGNORE, loss, lse, null));
            assertTrue(Float.isNaN(loss.get(0)), "row 0 has target 3 of V = 3");
            assertEquals(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), lse.get(0), 1e-6);
            assertEquals(0, EmuKernels.pn_cross_entropy_backward(x, t, lse, dloss, 2, 3, IGNORE, d, null));
            for (int j = 0; j < 3; j++) assertTrue(Float.isNaN(d.get(j)), "row 0 of the gradient is NaN");
            assertTrue(Float.isFinite(d.get(3)) && Float.isFinite(loss.get(1)), "row 1 is unaffected");

            assertEquals(1, EmuKernels.pn_cross_entropy_forward(x, t, -1, 3, IGNORE, loss, lse, null), "N < 0");
            assertEquals(1, EmuKernels.pn_cross_entropy_forward(x, t, 2, 0, IGNORE, loss, lse, null), "V = 0");
            assertEquals(1, EmuKernels.pn_cross_entropy_forward(x, t, 2, 3, IGNORE, loss, null, null), "no lse");
            assertEquals(0, EmuKernels.pn_cross_entropy_forward(null, null, 0, 3, IGNORE, null, null, null), "N = 0");
            assertEquals(1, EmuKernels.pn_cross_entropy_backward(x, t, lse, null, 2, 3, IGNORE, d, null), "no dloss");
            assertEquals(1, EmuKernels.pn_cross_entropy_backward(x, t, lse, dloss, 2, -3, IGNORE, d, null), "V < 0");
        }
    }

    // ln sum_v e^x per row in double; 0 for ignored rows (the kernel does not read them).
    private static float[] lse(Tensor logits, Tensor targets) {
        int n = logits.size(0), v = logits.size(1);
        double[] x = logits.toDoubleArray();
        long[] t = targets.toLongArray();
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            if (t[i] == IGNORE) continue;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, x[i * v + j]);
            for (int j = 0; j < v; j++) sum += Math.exp(x[i * v + j] - max);
            r[i] = (float) (max + Math.log(sum));
        }
        return r;
    }

    // dloss[i] * (softmax(x_i) - onehot(t_i)) in double; zero rows where ignored.
    private static float[] gradient(Tensor logits, Tensor targets, Tensor dloss) {
        int n = logits.size(0), v = logits.size(1);
        double[] x = logits.toDoubleArray(), g = dloss.toDoubleArray();
        long[] t = targets.toLongArray();
        float[] r = new float[n * v];
        for (int i = 0; i < n; i++) {
            if (t[i] == IGNORE) continue;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, x[i * v + j]);
            for (int j = 0; j < v; j++) sum += Math.exp(x[i * v + j] - max);
            for (int j = 0; j < v; j++) {
                r[i * v + j] = (float) (g[i] * (Math.exp(x[i * v + j] - max) / sum - (j == t[i] ? 1 : 0)));
            }
        }
        return r;
    }
}
