/*
 * KMeansAssignment (docs/methods/adapt-inf.md §3): the GEMM-expansion fast path against the double reference on clustered
 * data (labels exact, distances within the expansion's error bound), the tie rule (lower index), the NaN rule
 * (a NaN point gets label 0 and dist NaN, a NaN centroid never wins), clamping (dist >= 0 for a point on a
 * centroid) and shape checks.
 */
package dev.perennial.cluster;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KMeansAssignmentTest {
    private static final KMeansAssignment KMEANS = new KMeansAssignment();

    @ParameterizedTest(name = "n={0} d={1} K={2}")
    @CsvSource({"1, 1, 1", "7, 3, 2", "300, 17, 10", "2000, 33, 5", "50, 8, 40"})
    void fastPathMatchesReference(int n, int d, int k) {
        Random rnd = new Random(n * 131L + d * 7L + k);
        Tensor[] data = clustered(rnd, n, d, k);
        KMeansAssignment.Assignment ref = KMeansAssignment.reference(data[0], data[1]);
        KMeansAssignment.Assignment fast = KMEANS.assign(data[0], data[1]);
        assertArrayEquals(ref.labels(), fast.labels(), "labels");
        float[] x = data[0].toFloatArray(), c = data[1].toFloatArray();
        for (int i = 0; i < n; i++) {
            // sgemm's dot has error <= d·2^-24·Σ|x_j c_j| <= d·2^-24·(‖x‖² + ‖c‖²)/2, doubled by the factor 2 of the
            // expansion; twice that as the bound, plus one fp32 rounding of the result.
            double bound = 2 * d * 0x1p-24 * (sq(x, i * d, d) + sq(c, ref.labels()[i] * d, d)) + 0x1p-23 * ref.distances()[i];
            assertTrue(fast.distances()[i] >= 0, "negative distance at " + i);
            assertEquals(ref.distances()[i], fast.distances()[i], bound, "distance " + i);
        }
    }

    // Centroids 0 and 2 are equal, so are 1 and 3: every point ties and must take the lower index. The midpoint of
    // two mirrored centroids is equidistant from both.
    @Test
    void tiesGoToTheLowerIndex() {
        Tensor c = Tensor.of(new float[]{1, 2, -1, -2, 1, 2, -1, -2}, 4, 2);
        Tensor x = Tensor.of(new float[]{0.9f, 2.1f, -1.5f, -2f, 0, 0, 3, 3}, 4, 2);
        for (KMeansAssignment.Assignment a : new KMeansAssignment.Assignment[]{KMeansAssignment.reference(x, c), KMEANS.assign(x, c)}) {
            assertArrayEquals(new int[]{0, 1, 0, 0}, a.labels());
            assertEquals(5f, a.distances()[2], 1e-6f);
        }
    }

    @Test
    void nanPointGetsLabelZeroAndNanCentroidNeverWins() {
        Tensor c = Tensor.of(new float[]{Float.NaN, 0, 5, 5, 1, 1}, 3, 2);
        Tensor x = Tensor.of(new float[]{1, 1.5f, Float.NaN, 0, 4, 4}, 3, 2);
        for (KMeansAssignment.Assignment a : new KMeansAssignment.Assignment[]{KMeansAssignment.reference(x, c), KMEANS.assign(x, c)}) {
            assertArrayEquals(new int[]{2, 0, 1}, a.labels());
            assertEquals(0.25f, a.distances()[0], 1e-6f);
            assertTrue(Float.isNaN(a.distances()[1]));
            assertEquals(2f, a.distances()[2], 1e-5f);
        }
    }

    @Test
    void pointOnACentroidHasDistanceZeroNotNegative() {
        Random rnd = new Random(3);
        float[] c = new float[5 * 64];
        for (int i = 0; i < c.length; i++) c[i] = (float) (100 * rnd.nextGaussian());
        Tensor centroids = Tensor.of(c, 5, 64);
        KMeansAssignment.Assignment a = KMEANS.assign(centroids, centroids);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, a.labels());
        for (float v : a.distances()) assertTrue(v >= 0 && v < 1e-3 * 64 * 1e4, "distance " + v);
        assertArrayEquals(new float[5], KMeansAssignment.reference(centroids, centroids).distances());
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> KMEANS.assign(Tensor.zeros(3, 4), Tensor.zeros(2, 5)));
        assertThrows(IllegalArgumentException.class, () -> KMEANS.assign(Tensor.zeros(3, 4), Tensor.zeros(0, 4)));
        assertThrows(IllegalArgumentException.class, () -> KMeansAssignment.reference(Tensor.zeros(4), Tensor.zeros(2, 4)));
        assertEquals(0, KMEANS.assign(Tensor.zeros(0, 4), Tensor.zeros(2, 4)).labels().length);
    }

    /** Points [n, d] scattered (std 0.3) around K well-separated random centroids [K, d] (std 3). */
    static Tensor[] clustered(Random rnd, int n, int d, int k) {
        float[] c = new float[k * d], x = new float[n * d];
        for (int i = 0; i < c.length; i++) c[i] = (float) (3 * rnd.nextGaussian());
        for (int i = 0; i < n; i++) {
            int home = rnd.nextInt(k);
            for (int j = 0; j < d; j++) x[i * d + j] = c[home * d + j] + (float) (0.3 * rnd.nextGaussian());
        }
        return new Tensor[]{Tensor.of(x, n, d), Tensor.of(c, k, d)};
    }

    private static double sq(float[] v, int from, int len) {
        double s = 0;
        for (int j = 0; j < len; j++) s += (double) v[from + j] * v[from + j];
        return s;
    }
}
