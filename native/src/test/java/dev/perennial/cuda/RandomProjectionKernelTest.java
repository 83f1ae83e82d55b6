/*
 * The random_projection kernels (cuda/src/main/cuda/random_projection.cu) on the emulated device against the
 * core definition, dev.perennial.select.RandomProjection.reference (RademacherSigns, double accumulation), in
 * both fiber orders: odd sizes (n, d, k = 1; k and d not multiples of the 128-column / 64-row tiles), several
 * d-chunks with the workspace and second pass (d = 3000 over 47 chunks, rows above 2^33 so the 64-bit row
 * arithmetic of the device hash is exercised), chunks of two 64-row stages (d = 4500, 5000), both sample-group
 * widths (n <= 4 and n > 4, n = 17 and 20 over two groups), accumulate mode, chunk-by-chunk == whole, bitwise
 * determinism across fiber orders, normalisation (zero rows stay zero, no NaN; tiny and huge rows) and the
 * launchers' error codes.
 *
 * Tolerance of the projection, |a - r| <= 1e-5·S with S = sqrt(d)·max|x| (absolute): each output is a sum of
 * d terms ±x[i, j] with random signs, so it and its partial sums are O(S). Every fp32 addition rounds by at most
 * 2^-24 of its partial sum, and here an output passes through at most 16 + 8 + 64 additions (the rows of its
 * lane in a chunk of <= 128 rows, the 8 warp sums, <= 64 chunk sums): even if those errors added up linearly
 * they would stay near 88·2^-24·S ≈ 5e-6·S; they add like a random walk, so typically far less. The reference is
 * rounded once from double (half an ulp).
 */
package dev.perennial.cuda;

import dev.perennial.select.RandomProjection;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
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

class RandomProjectionKernelTest {
    private static final long SEED = 0x5EEDL;
    private static final DeviceKernels KERNELS = EmulatedDevice.kernels();

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** n, d, k, rowOffset. */
    static Stream<Arguments> cases() {
        long[][] sizes = {{1, 1, 1, 0}, {3, 3000, 70, (1L << 33) + 5}, {4, 33, 129, 0}, {5, 200, 31, 7},
                          {17, 130, 65, 1}, {2, 64, 128, 0}, {1, 65, 1, 3}, {6, 300, 300, 1L << 40},
                          {2, 5000, 40, 12345}, {20, 4500, 130, (1L << 33) + 5}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes)
                .map(s -> Arguments.of(o, (int) s[0], (int) s[1], (int) s[2], s[3])));
    }

    @ParameterizedTest(name = "{0} n={1} d={2} k={3} rowOffset={4}")
    @MethodSource("cases")
    void matchesReference(FiberOrder order, int n, int d, int k, long rowOffset) {
        EmulatedDevice.setFiberOrder(order);
        Tensor x = uniform(new Random(n * 1_000_003L + d * 1009L + k), n, d);
        Tensor out = KERNELS.rademacherProject(x, rowOffset, k, SEED);
        assertClose(RandomProjection.reference(x, rowOffset, k, SEED).toFloatArray(), out.toFloatArray(), tolerance(x));
    }

    // d = 300 goes through the workspace and the chunk-summing pass, d = 20 through the direct write.
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void accumulateAddsToTheOutput(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        for (int d : new int[]{300, 20}) {
            Tensor x = uniform(new Random(d), 3, d);
            Tensor out = uniform(new Random(d + 1), 3, 40);
            float[] before = out.toFloatArray(), ref = RandomProjection.reference(x, 11, 40, SEED).toFloatArray();
            KERNELS.rademacherProjectAccumulate(x, 11, SEED, out);
            float[] expected = new float[ref.length];
            for (int i = 0; i < ref.length; i++) expected[i] = before[i] + ref[i];
            assertClose(expected, out.toFloatArray(), tolerance(x) + 1e-6);
        }
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void chunkByChunkEqualsTheWholeProjection(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int n = 5, d = 500, k = 33;
        long offset = (1L << 33) + 5;
        Tensor x = uniform(new Random(21), n, d);
        Tensor out = KERNELS.rademacherProject(x.narrow(1, 0, 130), offset, k, SEED);
        KERNELS.rademacherProjectAccumulate(x.narrow(1, 130, 370), offset + 130, SEED, out);
        assertClose(RandomProjection.reference(x, offset, k, SEED).toFloatArray(), out.toFloatArray(), tolerance(x));
    }

    // The summation order depends only on (n, d, k): fiber order changes the interleaving, never the result.
    @Test
    void resultIsBitwiseReproducible() {
        Tensor x = uniform(new Random(22), 6, 1000);
        EmulatedDevice.setFiberOrder(FiberOrder.FORWARD);
        float[] forward = KERNELS.rademacherProject(x, 3, 150, SEED).toFloatArray();
        EmulatedDevice.setFiberOrder(FiberOrder.REVERSE);
        float[] reverse = KERNELS.rademacherProject(x, 3, 150, SEED).toFloatArray();
        assertArrayEquals(forward, reverse);
        assertFalse(Arrays.equals(forward, KERNELS.rademacherProject(x, 3, 150, SEED + 1).toFloatArray()),
                "another seed gives another projection");
    }

    // Rows: zero (must stay zero, no NaN), tiny and huge magnitudes (the max|x| scaling), random rows of 300
    // columns (several passes of the 128-thread block). Tolerance 1e-6 + 1e-5·|r|: the fp32 sum of k <= 300
    // squares of values <= 1 has relative error <= k·2^-24 ≈ 1.8e-5 at worst, halved by the square root.
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void normalizeRowsMatchesReferenceAndKeepsZeroRows(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int k = 300;
        Tensor x = uniform(new Random(23), 6, k);
        float[] v = x.toFloatArray();
        Arrays.fill(v, 0, k, 0f);                                        // row 0: zero
        for (int c = 0; c < k; c++) {
            v[k + c] *= 1e-30f;                                          // row 1: tiny (squares underflow in fp32)
            v[2 * k + c] *= 1e30f;                                       // row 2: huge (squares overflow in fp32)
        }
        Tensor t = Tensor.of(v, 6, k);
        float[] expected = RandomProjection.normalizeRows(t).toFloatArray();
        KERNELS.l2NormalizeRowsInPlace(t);
        float[] got = t.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            assertTrue(Math.abs(got[i] - expected[i]) <= 1e-6 + 1e-5 * Math.abs(expected[i]),
                    "element " + i + ": " + got[i] + " vs " + expected[i]);
        }
        for (int c = 0; c < k; c++) assertEquals(0f, got[c], "zero row stays zero");
        Tensor single = Tensor.of(new float[]{-3f, 0f}, 2, 1);
        KERNELS.l2NormalizeRowsInPlace(single);
        assertArrayEquals(new float[]{-1f, 0f}, single.toFloatArray());
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void zeroGradientsGiveZeroVectorsWithoutNaN(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Tensor out = KERNELS.rademacherProject(Tensor.zeros(3, 200), 0, 70, SEED);
        KERNELS.l2NormalizeRowsInPlace(out);
        assertArrayEquals(new float[3 * 70], out.toFloatArray());
    }

    @Test
    void launchersRejectBadSizesAndSkipEmptyOnes() {
        Tensor x = uniform(new Random(24), 2, 8);
        try (FloatPointer px = new FloatPointer(x.storage().pointer()); FloatPointer out = new FloatPointer(16)) {
            assertEquals(1, EmuKernels.pn_rademacher_project(px, -1, 8, 4, SEED, 0, 0, out, null));
            assertEquals(1, EmuKernels.pn_rademacher_project(px, 2, -8, 4, SEED, 0, 0, out, null));
            assertEquals(1, EmuKernels.pn_rademacher_project(px, 2, 8, -4, SEED, 0, 0, out, null));
            assertEquals(1, EmuKernels.pn_rademacher_project(px, 2, 8, 4, SEED, -1, 0, out, null));
            assertEquals(1, EmuKernels.pn_rademacher_project(px, 1 << 21, 8, 4, SEED, 0, 0, out, null),
                    "more sample groups than gridDim.z allows");
            assertEquals(1, EmuKernels.pn_l2_normalize_rows(out, -1, 4, null));
            assertEquals(1, EmuKernels.pn_l2_normalize_rows(out, 4, -1, null));

            out.put(new float[]{1, 2, 3, 4, 5, 6, 7, 8});
            assertEquals(0, EmuKernels.pn_rademacher_project(px, 0, 8, 4, SEED, 0, 0, out, null));
            assertEquals(0, EmuKernels.pn_rademacher_project(px, 2, 8, 0, SEED, 0, 0, out, null));
            assertEquals(0, EmuKernels.pn_l2_normalize_rows(out, 0, 4, null));
            assertEquals(0, EmuKernels.pn_rademacher_project(px, 2, 0, 4, SEED, 0, 1, out, null));
            float[] kept = new float[8];
            out.get(kept);
            assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6, 7, 8}, kept, "empty sizes leave out alone");
            assertEquals(0, EmuKernels.pn_rademacher_project(px, 2, 0, 4, SEED, 0, 0, out, null));
            out.get(kept);
            assertArrayEquals(new float[8], kept, "d = 0 without accumulate is the empty sum: zeros");
        }
    }

    @Test
    void facadeChecksShapesAndInPlaceOperands() {
        Tensor x = Tensor.zeros(2, 8);
        assertThrows(IllegalArgumentException.class, () -> KERNELS.rademacherProject(Tensor.zeros(8), 0, 4, SEED));
        assertThrows(IllegalArgumentException.class, () -> KERNELS.rademacherProject(x, -1, 4, SEED));
        assertThrows(IllegalArgumentException.class,
                () -> KERNELS.rademacherProjectAccumulate(x, 0, SEED, Tensor.zeros(3, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> KERNELS.rademacherProjectAccumulate(x, 0, SEED, Tensor.zeros(4, 2).transpose(0, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> KERNELS.l2NormalizeRowsInPlace(Tensor.zeros(4, 2).transpose(0, 1)));
    }

    static Tensor uniform(Random rnd, int n, int d) {
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) v[i] = 2 * rnd.nextFloat() - 1;
        return Tensor.of(v, n, d);
    }

    static double tolerance(Tensor x) {
        double max = 0;
        for (double v : x.toDoubleArray()) max = Math.max(max, Math.abs(v));
        return 1e-5 * Math.sqrt(x.size(1)) * max;
    }

    static void assertClose(float[] expected, float[] actual, double atol) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(actual[i] - expected[i]) <= atol,
                    "element " + i + ": " + actual[i] + " vs " + expected[i] + " (atol " + atol + ")");
        }
    }
}
