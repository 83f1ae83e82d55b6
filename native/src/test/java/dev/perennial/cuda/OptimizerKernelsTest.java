/*
 * The optimizer kernels (cuda/src/main/cuda/optimizer.cu: AdamW, the chunked sum of squares and the in-place
 * scaling of gradient clipping) against the plain reference (ReferenceBackend: one thread, double per element)
 * and the parallel CPU path (CpuBackend), under both fiber orders, for sizes around the warp, block and
 * 32768-element chunk boundaries. AdamW and the scaling are specified element by element in double with one
 * rounding per stored value (optimizer.h), so all three must agree bit for bit; the sums are taken in another
 * order inside a chunk on the device, so they agree to double rounding (relative 1e-12, far below the float32
 * gradients they measure). NaN and Inf propagate as on the CPU.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.train.FusedOptimizer;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerKernelsTest {
    private static final int[] SIZES = {0, 1, 31, 33, 257, 32768, 32768 + 5, 100_003};
    private static final FusedOptimizer.AdamWStep[] STEPS = {
            new FusedOptimizer.AdamWStep(1e-3, 0.9, 0.999, 1e-8, 1e-2, 1),
            new FusedOptimizer.AdamWStep(3e-4, 0.8, 0.95, 1e-6, 0, 17)};

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> cases() {
        return Stream.of(FiberOrder.values()).flatMap(o -> IntStream.of(SIZES).mapToObj(n -> Arguments.of(o, n)));
    }

    /** The three implementations: reference, CPU, and the kernels on an emulated device (operands placed there). */
    private static List<Impl> impls() {
        CudaBackend device = CudaBackend.emulated();
        return List.of(new Impl("reference", FusedOptimizer.OP.on(ReferenceBackend.INSTANCE), t -> t),
                new Impl("cpu", FusedOptimizer.OP.on(new CpuBackend()), t -> t),
                new Impl("emulated device", FusedOptimizer.OP.on(device), t -> device.place(t.to(t.dtype()))));
    }

    private record Impl(String name, FusedOptimizer kernels, java.util.function.UnaryOperator<Tensor> place) {}

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void adamwIsBitIdenticalEverywhere(FiberOrder order, int n) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(n);
        float[] p = gaussian(rnd, n), g = gaussian(rnd, n), m = gaussian(rnd, n), v = squares(rnd, n);
        float[][] expected = null;
        for (Impl impl : impls()) {
            Tensor tp = impl.place.apply(Tensor.of(p.clone(), n)), tm = impl.place.apply(Tensor.of(m.clone(), n));
            Tensor tv = impl.place.apply(Tensor.of(v.clone(), n)), tg = impl.place.apply(Tensor.of(g.clone(), n));
            for (FusedOptimizer.AdamWStep s : STEPS) impl.kernels.adamw(tp, tg, tm, tv, s);
            float[][] got = {tp.toFloatArray(), tm.toFloatArray(), tv.toFloatArray()};
            if (expected == null) {
                expected = got;
                assertTrue(n == 0 || !Arrays.equals(expected[0], p), "the update changed the parameters");
            } else {
                for (int i = 0; i < 3; i++) assertArrayEquals(expected[i], got[i], impl.name + ": " + List.of("param", "m", "v").get(i));
            }
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void sumsOfSquaresAgreeAndScalingIsExact(FiberOrder order, int n) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(31L * n + 7);
        float[] a = gaussian(rnd, n), b = gaussian(rnd, Math.max(1, n / 3));
        double[] reference = null;
        float[][] scaled = null;
        for (Impl impl : impls()) {
            Tensor ta = impl.place.apply(Tensor.of(a.clone(), a.length)), tb = impl.place.apply(Tensor.of(b.clone(), b.length));
            double[] sums = impl.kernels.sumsOfSquares(List.of(ta, tb));
            impl.kernels.scaleInPlace(List.of(ta, tb), 0.3713);
            float[][] got = {ta.toFloatArray(), tb.toFloatArray()};
            if (reference == null) {
                reference = sums;
                scaled = got;
                assertEquals(plainSum(a), sums[0], 1e-12 * Math.max(1, sums[0]), "reference sum");
            } else {
                for (int i = 0; i < 2; i++) {
                    assertEquals(reference[i], sums[i], 1e-12 * Math.max(1, reference[i]), impl.name + " sum " + i);
                    assertArrayEquals(scaled[i], got[i], impl.name + " scaled " + i);
                }
            }
        }
    }

    @Test
    void nanAndInfinityPropagateLikeOnTheCpu() {
        float[] g = {Float.NaN, 1f, Float.POSITIVE_INFINITY, -2f};
        double[] reference = null;
        float[] expectedParam = null;
        for (Impl impl : impls()) {
            Tensor tp = impl.place.apply(Tensor.of(new float[]{1, 2, 3, 4}, 4)), tg = impl.place.apply(Tensor.of(g.clone(), 4));
            Tensor tm = impl.place.apply(Tensor.zeros(4)), tv = impl.place.apply(Tensor.zeros(4));
            impl.kernels.adamw(tp, tg, tm, tv, STEPS[0]);
            double[] sums = impl.kernels.sumsOfSquares(List.of(tg, impl.place.apply(Tensor.of(new float[]{3, 4}, 2))));
            if (reference == null) {
                reference = sums;
                expectedParam = tp.toFloatArray();
                assertTrue(Double.isNaN(sums[0]) && sums[1] == 25.0, Arrays.toString(sums));
                assertTrue(Float.isNaN(expectedParam[0]) && Float.isNaN(expectedParam[2]), Arrays.toString(expectedParam));
            } else {
                assertArrayEquals(reference, sums, impl.name);
                assertArrayEquals(expectedParam, tp.toFloatArray(), impl.name);
            }
        }
    }

    @Test
    void theDeviceRefusesToUpdateACopyInsteadOfTheTensor() {
        CudaBackend device = CudaBackend.emulated();
        DeviceKernels k = device.device().kernels();
        Tensor host = Tensor.of(new float[]{1, 2}, 2), placed = device.place(Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> k.adamw(host, placed, placed, placed, STEPS[0]));
        assertThrows(IllegalArgumentException.class, () -> k.scaleInPlace(List.of(host), 2));
        // the backend itself updates a host parameter in place on the host instead
        FusedOptimizer.OP.on(device).adamw(host, placed, device.zeros(dev.perennial.tensor.DType.F32, 2),
                device.zeros(dev.perennial.tensor.DType.F32, 2), STEPS[0]);
        assertEquals(1f - 1e-3f * 1e-2f, host.toFloatArray()[0], 1e-7f);
    }

    private static double plainSum(float[] a) {
        double s = 0;
        for (float x : a) s += (double) x * x;
        return s;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static float[] squares(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * rnd.nextGaussian());
        return a;
    }
}
