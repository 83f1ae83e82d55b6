/*
 * The kmeans_assign kernel (cuda/src/main/cuda/kmeans_assign.cu) on the emulated device against the core
 * definition, dev.perennial.cluster.KMeansAssignment.reference (double distances), in both fiber orders: odd sizes
 * (n, d, K = 1; n, d, K not multiples of the 128-point / 16-dim / 16-centroid tiles; several point blocks and
 * centroid tiles), exact ties (duplicated centroids within a thread, across thread groups and across centroid
 * tiles; a point equidistant from mirrored centroids) going to the lower index, the NaN rule (a NaN point gets
 * label 0 and dist NaN; NaN centroids never win), zero data, and the launcher's error codes.
 *
 * Labels must match exactly (the data is clustered, so the nearest centroid wins by a wide margin). Distances:
 * |a - r| <= 1e-6 + 1e-5·|r|, because the kernel sums d <= 40 non-negative fp32 terms (exact differences, one
 * rounding each for the difference, the square and the add), a relative error below 3·d·2^-24 ≈ 7e-6.
 */
package dev.perennial.cuda;

import dev.perennial.cluster.KMeansAssignment;
import dev.perennial.tensor.DType;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KMeansAssignKernelTest {
    private static final DeviceKernels KERNELS = EmulatedDevice.kernels();

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** n, d, K. */
    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1}, {3, 5, 2}, {65, 33, 17}, {70, 40, 10}, {130, 7, 33}, {128, 32, 16}, {31, 3, 1},
                         {257, 17, 5}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes)
                .map(s -> Arguments.of(o, s[0], s[1], s[2])));
    }

    @ParameterizedTest(name = "{0} n={1} d={2} K={3}")
    @MethodSource("cases")
    void matchesReference(FiberOrder order, int n, int d, int k) {
        EmulatedDevice.setFiberOrder(order);
        Tensor[] data = clustered(new Random(n * 131L + d * 7L + k), n, d, k);
        assertMatchesReference(data[0], data[1]);
    }

    // Centroid 1 duplicates 0 (same thread), 4 duplicates 3 (thread groups 0 and 1), 17 duplicates 2 (centroid
    // tiles 0 and 1), 19 duplicates 18 (same thread of tile 1). Points sit near 1, 4, 17 and 19 and must get the
    // lower index of each pair. Then the origin, equidistant from the mirrored centroids (1, 1) and (-1, -1).
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void exactTiesGoToTheLowerIndex(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int d = 3, k = 20;
        Random rnd = new Random(5);
        float[] c = new float[k * d];
        for (int i = 0; i < c.length; i++) c[i] = (float) (10 * rnd.nextGaussian());
        copyRow(c, 0, 1, d);
        copyRow(c, 3, 4, d);
        copyRow(c, 2, 17, d);
        copyRow(c, 18, 19, d);
        int[] near = {1, 4, 17, 19};
        float[] x = new float[near.length * d];
        for (int p = 0; p < near.length; p++) {
            for (int j = 0; j < d; j++) x[p * d + j] = c[near[p] * d + j] + 0.01f * (j + 1);
        }
        Tensor xs = Tensor.of(x, near.length, d), cs = Tensor.of(c, k, d);
        assertArrayEquals(new int[]{0, 3, 2, 18}, labels(KERNELS.kmeansAssign(xs, cs)));
        assertMatchesReference(xs, cs);

        DeviceKernels.NearestCentroids mirrored = KERNELS.kmeansAssign(Tensor.zeros(1, 2),
                Tensor.of(new float[]{1, 1, -1, -1}, 2, 2));
        assertArrayEquals(new int[]{0}, labels(mirrored));
        assertEquals(2f, mirrored.distances().toFloatArray()[0]);
    }

    // Point 1 contains NaN: label 0, dist NaN. Centroids 0 (tile 0) and 16 (tile 1) contain NaN: never chosen, even
    // for a point whose non-NaN distances are all +inf (point 2 overflows the fp32 sum of squares).
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void nanPointsAndNanCentroids(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int d = 2, k = 18;
        float[] c = new float[k * d];
        for (int i = 0; i < k; i++) {
            c[i * d] = i;
            c[i * d + 1] = -i;
        }
        c[0] = Float.NaN;
        c[16 * d + 1] = Float.NaN;
        float[] x = {15.8f, -16f, 3f, Float.NaN, 3e38f, -3e38f, 0f, 0f};
        DeviceKernels.NearestCentroids r = KERNELS.kmeansAssign(Tensor.of(x, 4, d), Tensor.of(c, k, d));
        float[] dist = r.distances().toFloatArray();
        assertArrayEquals(new int[]{15, 0, 1, 1}, labels(r));
        assertEquals(0.64f + 1f, dist[0], 1e-5f);
        assertTrue(Float.isNaN(dist[1]), "NaN point: dist " + dist[1]);
        assertEquals(Float.POSITIVE_INFINITY, dist[2]);
        assertEquals(2f, dist[3]);
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void zeroDataGivesZeroDistances(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        DeviceKernels.NearestCentroids r = KERNELS.kmeansAssign(Tensor.zeros(70, 5), Tensor.zeros(3, 5));
        assertArrayEquals(new int[70], labels(r));
        assertArrayEquals(new float[70], r.distances().toFloatArray());
    }

    @Test
    void launcherRejectsBadSizes() {
        try (FloatPointer x = new FloatPointer(8); FloatPointer c = new FloatPointer(8);
             IntPointer labels = new IntPointer(4); FloatPointer dist = new FloatPointer(4)) {
            assertEquals(1, EmuKernels.pn_kmeans_assign(x, c, -1, 2, 2, labels, dist, null));
            assertEquals(1, EmuKernels.pn_kmeans_assign(x, c, 4, 0, 2, labels, dist, null));
            assertEquals(1, EmuKernels.pn_kmeans_assign(x, c, 4, 2, 0, labels, dist, null));
            assertEquals(0, EmuKernels.pn_kmeans_assign(x, c, 0, 2, 2, labels, dist, null));
        }
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> KERNELS.kmeansAssign(Tensor.zeros(4, 2), Tensor.zeros(0, 2)));
        assertEquals(1, e.code());
        assertThrows(IllegalArgumentException.class,
                () -> KERNELS.kmeansAssign(Tensor.zeros(4, 2), Tensor.zeros(3, 5)));
        assertEquals(0, KERNELS.kmeansAssign(Tensor.zeros(0, 2), Tensor.zeros(3, 2)).labels().numel());
    }

    private static void assertMatchesReference(Tensor x, Tensor centroids) {
        KMeansAssignment.Assignment ref = KMeansAssignment.reference(x, centroids);
        DeviceKernels.NearestCentroids got = KERNELS.kmeansAssign(x, centroids);
        assertEquals(DType.I32, got.labels().dtype());
        assertArrayEquals(ref.labels(), labels(got), "labels");
        float[] dist = got.distances().toFloatArray();
        for (int i = 0; i < dist.length; i++) {
            float r = ref.distances()[i];
            assertTrue(Math.abs(dist[i] - r) <= 1e-6 + 1e-5 * Math.abs(r),
                    "distance " + i + ": " + dist[i] + " vs " + r);
        }
    }

    private static int[] labels(DeviceKernels.NearestCentroids r) {
        return Arrays.stream(r.labels().toLongArray()).mapToInt(v -> (int) v).toArray();
    }

    private static void copyRow(float[] c, int from, int to, int d) {
        System.arraycopy(c, from * d, c, to * d, d);
    }

    /** Points [n, d] scattered (std 0.3) around K well-separated random centroids [K, d] (std 3). */
    private static Tensor[] clustered(Random rnd, int n, int d, int k) {
        float[] c = new float[k * d], x = new float[n * d];
        for (int i = 0; i < c.length; i++) c[i] = (float) (3 * rnd.nextGaussian());
        for (int i = 0; i < n; i++) {
            int home = rnd.nextInt(k);
            for (int j = 0; j < d; j++) x[i * d + j] = c[home * d + j] + (float) (0.3 * rnd.nextGaussian());
        }
        return new Tensor[]{Tensor.of(x, n, d), Tensor.of(c, k, d)};
    }
}
