/*
 * The block-sparse Johnson–Lindenstrauss projection (SparseProjection, `score --projection sparse`):
 *  - the fast path equals the definition (reference(), double accumulation) within float rounding, and projecting
 *    a gradient in column ranges (rowOffset) adds up to projecting it whole;
 *  - every column of the matrix has exactly one nonzero ±1/√4 per block (unit norm, no collisions);
 *  - on 40 vectors spread over d = 20,000 coordinates (as gradients are), every pairwise squared distance and every
 *    inner product of unit vectors survives k = 8192 within ε = 0.1: the Johnson–Lindenstrauss bound for 40 points
 *    (k ≥ 4 ln n / (ε²/2 − ε³/3) = 3,162 ≤ 8,192);
 *  - ADAPT-∞'s clusters agree: on a planted set of 5 groups of unequal sizes, k-means (best of 5 seeds by
 *    inertia) over the sparse vectors gives the same partition as over the paper's dense Rademacher vectors, and
 *    both recover the planted groups.
 */
package dev.perennial.select;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseProjectionTest {
    private static final SparseProjection SPARSE = new SparseProjection();

    private static Tensor gaussian(Random rng, int n, int d) {
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, n, d);
    }

    private static Tensor project(Tensor x, long rowOffset, int k, long seed) {
        Tensor out = Tensor.zeros(x.size(0), k);
        SPARSE.accumulate(x, rowOffset, seed, out);
        return out;
    }

    @ParameterizedTest(name = "n={0} d={1} k={2} rowOffset={3}")
    @CsvSource({"1, 1, 4, 0", "3, 257, 72, 8589934597", "5, 10000, 8192, 12345", "17, 300, 64, 1", "2, 5000, 256, 4000000000"})
    void fastPathMatchesTheDefinition(int n, int d, int k, long rowOffset) {
        Tensor x = gaussian(new Random(n * 31L + d), n, d);
        float[] fast = project(x, rowOffset, k, 99).toFloatArray(), ref = SparseProjection.reference(x, rowOffset, k, 99).toFloatArray();
        double tol = 1e-5 * Math.sqrt(d) * 5;                                 // float sums of ≤ d terms of |x| ≤ ~5
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], fast[i], tol, "element " + i);
    }

    @Test
    void columnRangesAddUpToTheWhole() {
        Tensor x = gaussian(new Random(4), 3, 3000);
        float[] whole = project(x, 100, 1024, 7).toFloatArray();
        Tensor out = Tensor.zeros(3, 1024);
        SPARSE.accumulate(x.narrow(1, 0, 1000).contiguous(), 100, 7, out);
        SPARSE.accumulate(x.narrow(1, 1000, 2000).contiguous(), 1100, 7, out);
        float[] chunked = out.toFloatArray();
        for (int i = 0; i < whole.length; i++) assertEquals(whole[i], chunked[i], 1e-4, "element " + i);
    }

    @Test
    void everyInputCoordinateHasOneUnitNonzeroPerBlock() {
        int k = 8192, block = k / SparseProjection.S;
        for (long row = 0; row < 2000; row++) {
            Tensor e = Tensor.zeros(1, 1);
            e.storage().setFloat(0, 1f);
            float[] col = project(e, row, k, 3).toFloatArray();
            for (int t = 0; t < SparseProjection.S; t++) {
                int nonzero = 0;
                for (int c = t * block; c < (t + 1) * block; c++) {
                    if (col[c] != 0) {
                        nonzero++;
                        assertEquals(0.5, Math.abs(col[c]), 1e-7);
                    }
                }
                assertEquals(1, nonzero, "row " + row + ", block " + t);
            }
        }
    }

    @Test
    void pairwiseDistancesAndInnerProductsStayWithinTheJohnsonLindenstraussBound() {
        int n = 40, d = 20_000, k = 8192;
        double eps = 0.1;
        Tensor x = gaussian(new Random(11), n, d);
        float[] xv = x.toFloatArray(), y = project(x, 0, k, 0).toFloatArray();
        double worst = 0;
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                double before = 0, after = 0;
                for (int j = 0; j < d; j++) before += sq(xv[a * d + j] - xv[b * d + j]);
                for (int c = 0; c < k; c++) after += sq(y[a * k + c] - y[b * k + c]);
                worst = Math.max(worst, Math.abs(after / before - 1));
                assertTrue(Math.abs(after / before - 1) <= eps, "pair " + a + "," + b + ": ratio " + after / before);
            }
        }
        for (int a = 0; a < n; a++) {                                          // inner products of the unit vectors
            for (int b = a + 1; b < n; b++) {
                double ip = dot(xv, a * d, xv, b * d, d) / Math.sqrt(dot(xv, a * d, xv, a * d, d) * dot(xv, b * d, xv, b * d, d));
                double ipy = dot(y, a * k, y, b * k, k) / Math.sqrt(dot(y, a * k, y, a * k, k) * dot(y, b * k, y, b * k, k));
                assertEquals(ip, ipy, eps, "inner product of " + a + "," + b);
            }
        }
        assertTrue(worst > 0, "the projection changed something");
    }

    @Test
    void adaptInfClustersMatchTheDenseProjections() {
        int groups = 5, d = 20_000, k = 8192;
        Random rng = new Random(21);
        float[] centres = new float[groups * d];
        for (int i = 0; i < centres.length; i++) centres[i] = (float) rng.nextGaussian();
        int[] sizes = {70, 50, 40, 25, 15};
        int n = 0;
        for (int s : sizes) n += s;
        float[] pts = new float[n * d];
        int[] planted = new int[n];
        int at = 0;
        for (int g = 0; g < groups; g++) {
            for (int m = 0; m < sizes[g]; m++, at++) {
                planted[at] = g;
                for (int j = 0; j < d; j++) pts[at * d + j] = centres[g * d + j] + (float) (1.2 * rng.nextGaussian());
            }
        }
        Tensor x = Tensor.of(pts, n, d);
        Tensor dense = RandomProjection.normalizeRows(new RandomProjection().project(x, 0, k, 0));
        Tensor sparse = RandomProjection.normalizeRows(project(x, 0, k, 0));
        int[] fromDense = bestOfSeeds(dense, n, k, groups), fromSparse = bestOfSeeds(sparse, n, k, groups);
        assertSamePartition(planted, fromDense, "dense vs planted");
        assertSamePartition(fromDense, fromSparse, "sparse vs dense");
    }

    @Test
    void aDimensionNotDivisibleIntoBlocksIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> project(Tensor.zeros(1, 5), 0, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new SampleVectors.Config(SampleVectors.Source.LORA_GRAD,
                java.util.List.of(), 10, 0, GradientProjection.Kind.SPARSE));
    }

    /**
     * The lowest-inertia k-means labels over 5 seeds: one greedy k-means++ start can split a large group and merge
     * two small ones on any vectors (a k-means matter, not a projection one), so each side gets the same restarts.
     */
    private static int[] bestOfSeeds(Tensor v, int n, int k, int groups) {
        KMeans.Result best = null;
        for (long seed = 1; seed <= 5; seed++) {
            KMeans.Result r = KMeans.fit(new InMemoryVectors(v.toFloatArray(), n, k), KMeans.Config.of(groups).withSeed(seed));
            if (best == null || r.inertia() < best.inertia()) best = r;
        }
        return best.labels();
    }

    /** Equal up to renaming the clusters. */
    private static void assertSamePartition(int[] a, int[] b, String what) {
        Map<Integer, Integer> ab = new HashMap<>(), ba = new HashMap<>();
        for (int i = 0; i < a.length; i++) {
            ab.putIfAbsent(a[i], b[i]);
            ba.putIfAbsent(b[i], a[i]);
            assertEquals(ab.get(a[i]), b[i], what + ": sample " + i);
            assertEquals(ba.get(b[i]), a[i], what + ": sample " + i);
        }
    }

    private static double sq(double v) { return v * v; }

    private static double dot(float[] u, int uo, float[] v, int vo, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += (double) u[uo + i] * v[vo + i];
        return s;
    }
}
