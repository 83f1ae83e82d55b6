/*
 * RandomProjection (docs/methods/adapt-inf.md §2.4–2.5): the fast CPU path (sign panels + sgemm) against the double reference
 * for odd sizes and 64-bit row offsets, chunked projection == whole projection, seed sensitivity, linearity and
 * the Johnson–Lindenstrauss sanity check of spec §10.1, and row normalisation (zero rows stay zero, no NaN).
 *
 * Tolerance of fp32 projections, |a - r| <= 1e-5·S with S = sqrt(d)·max|x| (absolute): every output is a sum of
 * d terms ±x[i, j] with random signs, so it and its partial sums are O(S), and each fp32 addition rounds by at
 * most 2^-24 of its partial sum. Along one output the sgemm adds at most 256 panel rows and then one term per
 * panel (L <= 264 additions for these sizes); the rounding errors of these random-sign sums add like a random
 * walk, ~sqrt(L)·2^-24·S ≈ 1e-6·S, an order of magnitude inside the bound.
 */
package dev.perennial.select;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomProjectionTest {
    private static final RandomProjection PROJECTION = new RandomProjection();

    @ParameterizedTest(name = "n={0} d={1} k={2} rowOffset={3}")
    @CsvSource({"1, 1, 1, 0", "3, 257, 70, 8589934597", "5, 1000, 300, 12345", "2, 37, 513, 0", "17, 300, 64, 1",
                "1, 2000, 257, 4000000000"})
    void fastPathMatchesReference(int n, int d, int k, long rowOffset) {
        Tensor x = uniform(new Random(n * 31L + d), n, d);
        Tensor fast = PROJECTION.project(x, rowOffset, k, 99);
        Tensor ref = RandomProjection.reference(x, rowOffset, k, 99);
        assertClose(ref, fast, tolerance(x));
    }

    @Test
    void chunkedProjectionEqualsTheWholeOne() {
        int n = 4, d = 700, k = 130;
        long offset = (1L << 33) + 5;
        Tensor x = uniform(new Random(7), n, d);
        Tensor whole = PROJECTION.project(x, offset, k, 5);
        Tensor chunked = Tensor.zeros(n, k);
        for (int j0 = 0; j0 < d; j0 += 300) {                      // chunks of 300, 300, 100 columns of x
            int len = Math.min(300, d - j0);
            PROJECTION.accumulate(x.narrow(1, j0, len), offset + j0, 5, chunked);
        }
        assertClose(whole, chunked, tolerance(x));
        assertClose(RandomProjection.reference(x, offset, k, 5), chunked, tolerance(x));
    }

    @Test
    void accumulateAddsToTheExistingOutput() {
        Tensor x = uniform(new Random(8), 3, 50);
        Tensor out = uniform(new Random(9), 3, 20);
        float[] before = out.toFloatArray();
        PROJECTION.accumulate(x, 10, 1, out);
        float[] ref = RandomProjection.reference(x, 10, 20, 1).toFloatArray(), got = out.toFloatArray();
        for (int i = 0; i < got.length; i++) assertEquals(before[i] + ref[i], got[i], tolerance(x) + 1e-6, "element " + i);
    }

    @Test
    void seedAndRowOffsetChangeTheResult() {
        Tensor x = uniform(new Random(10), 2, 500);
        float[] a = PROJECTION.project(x, 0, 64, 1).toFloatArray();
        float[] b = PROJECTION.project(x, 0, 64, 2).toFloatArray();
        float[] c = PROJECTION.project(x, 1, 64, 1).toFloatArray();
        // Independent projections of the same rows: correlation ~ N(0, 1/sqrt(128)); 0.5 is > 5 std.
        assertTrue(Math.abs(correlation(a, b)) < 0.5, "seeds 1 and 2 correlate " + correlation(a, b));
        assertTrue(Math.abs(correlation(a, c)) < 0.5, "offsets 0 and 1 correlate " + correlation(a, c));
        assertArrayEquals(a, PROJECTION.project(x, 0, 64, 1).toFloatArray(), "deterministic for a fixed seed");
    }

    // Spec §10.1 invariant 1: P(a·g1 + b·g2) = a·P(g1) + b·P(g2) within fp32 rounding (1e-4 relative).
    @Test
    void projectionIsLinear() {
        Random rnd = new Random(11);
        Tensor g1 = uniform(rnd, 1, 3000), g2 = uniform(rnd, 1, 3000);
        float[] v1 = g1.toFloatArray(), v2 = g2.toFloatArray(), mix = new float[3000];
        for (int j = 0; j < mix.length; j++) mix[j] = 2.5f * v1[j] - 0.75f * v2[j];
        float[] p = PROJECTION.project(Tensor.of(mix, 1, 3000), 0, 256, 0).toFloatArray();
        float[] p1 = PROJECTION.project(g1, 0, 256, 0).toFloatArray(), p2 = PROJECTION.project(g2, 0, 256, 0).toFloatArray();
        for (int c = 0; c < p.length; c++) {
            double expected = 2.5 * p1[c] - 0.75 * p2[c];
            assertEquals(expected, p[c], 1e-4 * (Math.abs(2.5 * p1[c]) + Math.abs(0.75 * p2[c])) + 1e-4, "column " + c);
        }
    }

    // Spec §10.1 invariant 3 (JL sanity) at the paper's k = 8192: cosine preserved within 0.05. The error of a
    // projected cosine has std ~ sqrt((1 + cos^2) / k) <= 0.016, so 0.05 is > 3 std for each of the 6 pairs.
    @Test
    void cosinesSurviveTheProjection() {
        int n = 4, d = 3000, k = 8192;
        Random rnd = new Random(12);
        float[] g = new float[n * d];
        for (int j = 0; j < d; j++) {
            double shared = rnd.nextGaussian();
            for (int i = 0; i < n; i++) g[i * d + j] = (float) (i * 0.5 * shared + rnd.nextGaussian());
        }
        Tensor x = Tensor.of(g, n, d);
        float[] p = RandomProjection.normalizeRows(PROJECTION.project(x, 0, k, 0)).toFloatArray();
        float[] u = RandomProjection.normalizeRows(x).toFloatArray();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                double before = dot(u, a * d, b * d, d), after = dot(p, a * k, b * k, k);
                assertEquals(before, after, 0.05, "pair " + a + ", " + b);
            }
        }
    }

    @Test
    void normalizeRowsGivesUnitRowsAndKeepsZeroRows() {
        float[] v = {3, 4, 0,   0, 0, 0,   1e-30f, 0, -1e-30f,   -2e30f, 1e30f, 2e30f};
        float[] r = RandomProjection.normalizeRows(Tensor.of(v, 4, 3)).toFloatArray();
        float s = (float) (1 / Math.sqrt(2)), t = 2f / 3, h = 1f / 3;
        assertArrayEquals(new float[]{0.6f, 0.8f, 0, 0, 0, 0, s, 0, -s, -t, h, t}, r, 1e-6f);
        for (float f : r) assertTrue(Float.isFinite(f));
    }

    @Test
    void rejectsBadArguments() {
        Tensor x = Tensor.zeros(2, 3);
        assertThrows(IllegalArgumentException.class, () -> PROJECTION.project(x, -1, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> PROJECTION.project(Tensor.zeros(3), 0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> PROJECTION.accumulate(x, 0, 0, Tensor.zeros(3, 4)));
        assertThrows(IllegalArgumentException.class, () -> PROJECTION.accumulate(x, 0, 0, Tensor.zeros(4, 2).transpose(0, 1)));
        assertThrows(IllegalArgumentException.class, () -> PROJECTION.accumulate(x, 0, 0, Tensor.zeros(DType.I64, 2, 4)));
    }

    @Test
    void readsViewsAndHalfPrecision() {
        Tensor base = uniform(new Random(13), 40, 3);
        Tensor view = base.transpose(0, 1);                        // [3, 40], not contiguous
        assertClose(RandomProjection.reference(view, 3, 33, 4), PROJECTION.project(view, 3, 33, 4), tolerance(view));
        Tensor half = view.to(DType.BF16);
        assertClose(RandomProjection.reference(half, 3, 33, 4), PROJECTION.project(half, 3, 33, 4), tolerance(view));
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

    static void assertClose(Tensor expected, Tensor actual, double atol) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(a[i] - e[i]) <= atol, "element " + i + ": " + a[i] + " vs " + e[i] + " (atol " + atol + ")");
        }
    }

    private static double correlation(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static double dot(float[] v, int a, int b, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += (double) v[a + i] * v[b + i];
        return s;
    }
}
