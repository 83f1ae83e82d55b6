/*
 * TokenScores (ADAPT-∞ per-token NLL / entropy / EL2N and their per-sample means, docs/methods/adapt-inf.md §4): the fast
 * one-pass float path against the double reference, the reference against a naive "softmax first, then the
 * textbook formulas" computation in double, and the edge cases the kernels share (logits of ±1e4, V = 1, all rows
 * ignored, -inf logits, invalid targets, empty samples). Tolerances are |a - r| <= atol + rtol |r|.
 */
package dev.perennial.select;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenScoresTest {
    private static final int IGNORE = -100;

    // One float pass over V <= 1000 logits: the running sums carry ~sqrt(V) ulp of rounding, and nll / entropy are
    // O(1..10) (O(1e4) for the ±1e4 rows, covered by rtol), so atol 1e-5 with rtol 1e-5 leaves a wide margin.
    private static final double ATOL = 1e-5, RTOL = 1e-5;

    @ParameterizedTest(name = "N={0} V={1} scale={2}")
    @CsvSource({"1, 1, 1", "7, 2, 3", "13, 31, 4", "9, 1000, 5", "5, 333, 20", "6, 129, 10000"})
    void fastPathMatchesTheReference(int n, int v, float scale) {
        Random rnd = new Random(n * 31L + v);
        Tensor logits = gaussian(rnd, scale, n, v);
        Tensor targets = targets(rnd, n, v, true);
        assertClose(TokenScores.reference(logits, targets, IGNORE), TokenScores.compute(logits, targets, IGNORE));
    }

    // Targets behind or tied with an earlier, larger logit (p_t ~0.2..0.5): the one-pass update must leave the
    // target out of sum p^2 also when it is not the running maximum.
    @Test
    void targetsBehindOrTiedWithAnEarlierLogit() {
        Random rnd = new Random(77);
        int n = 6, v = 40;
        float[] x = gaussian(rnd, 1, n, v).toFloatArray();
        long[] t = new long[n];
        for (int r = 0; r < n; r++) {
            t[r] = 1 + rnd.nextInt(v - 1);
            x[r * v + (int) t[r]] = 4f;
            x[r * v + rnd.nextInt((int) t[r])] = r % 2 == 0 ? 4f : 4.5f;
        }
        Tensor logits = Tensor.of(x, n, v), targets = Tensor.ofLongs(t, n);
        assertClose(TokenScores.reference(logits, targets, IGNORE), TokenScores.compute(logits, targets, IGNORE));
    }

    @Test
    void referenceMatchesSoftmaxThenTheTextbookFormulas() {
        Random rnd = new Random(5);
        int n = 8, v = 50;
        Tensor logits = gaussian(rnd, 3, n, v);
        Tensor targets = targets(rnd, n, v, true);
        long[] t = targets.toLongArray();
        double[] p = ReferenceBackend.DOUBLE.softmax(logits, 1f, null).toDoubleArray();   // [n, v] in double
        float[] nll = new float[n], entropy = new float[n], el2n = new float[n];
        for (int r = 0; r < n; r++) {
            double h = 0, d2 = 0;
            for (int j = 0; j < v; j++) {
                double pj = p[r * v + j];
                h -= pj > 0 ? pj * Math.log(pj) : 0;
                d2 += (pj - (j == t[r] ? 1 : 0)) * (pj - (j == t[r] ? 1 : 0));
            }
            entropy[r] = (float) h;
            if (t[r] == IGNORE) continue;
            nll[r] = (float) -Math.log(p[r * v + (int) t[r]]);
            el2n[r] = (float) Math.sqrt(d2);
        }
        TokenScores naive = new TokenScores(nll, entropy, el2n);
        assertClose(naive, TokenScores.reference(logits, targets, IGNORE));
        assertClose(naive, TokenScores.compute(logits, targets, IGNORE));
    }

    @Test
    void largeLogitsDoNotOverflowAndNearTiesKeepTheirEntropy() {
        Random rnd = new Random(9);
        int n = 6, v = 200;
        float[] x = new float[n * v];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / v < 3 ? (float) (rnd.nextBoolean() ? 1e4 : -1e4) + (float) rnd.nextGaussian()   // ±1e4 rows
                             : 1e4f + (float) rnd.nextGaussian();                                    // all near 1e4
        }
        Tensor logits = Tensor.of(x, n, v), targets = targets(rnd, n, v, false);
        TokenScores fast = TokenScores.compute(logits, targets, IGNORE);
        for (int r = 0; r < n; r++) {
            assertTrue(Float.isFinite(fast.nll()[r]) && Float.isFinite(fast.entropy()[r])
                    && Float.isFinite(fast.el2n()[r]), "row " + r + " is not finite");
            assertTrue(fast.entropy()[r] >= 0 && fast.entropy()[r] <= Math.log(v) + 1e-5, "entropy of row " + r);
        }
        assertClose(TokenScores.reference(logits, targets, IGNORE), fast);
    }

    @Test
    void singleClassVocabularyScoresZero() {
        Tensor logits = Tensor.of(new float[]{3f, -2f, 1e4f}, 3, 1);
        Tensor targets = Tensor.ofLongs(new long[]{0, IGNORE, 0}, 3);
        for (TokenScores s : new TokenScores[]{TokenScores.compute(logits, targets, IGNORE),
                TokenScores.reference(logits, targets, IGNORE)}) {
            assertArrayEquals(new float[3], s.nll());
            assertArrayEquals(new float[3], s.entropy());
            assertArrayEquals(new float[3], s.el2n());
        }
    }

    @Test
    void allRowsIgnoredGiveZeroLossEntropyEverywhereAndNaNSampleMeans() {
        Random rnd = new Random(3);
        Tensor logits = gaussian(rnd, 2, 5, 17);
        Tensor targets = Tensor.ofInts(new int[]{IGNORE, IGNORE, IGNORE, IGNORE, IGNORE}, 5);
        TokenScores fast = TokenScores.compute(logits, targets, IGNORE);
        TokenScores ref = TokenScores.reference(logits, targets, IGNORE);
        assertArrayEquals(new float[5], fast.nll());
        assertArrayEquals(new float[5], fast.el2n());
        for (float e : fast.entropy()) assertTrue(e > 0, "entropy is computed for ignored rows");
        assertClose(ref, fast);

        TokenScores.SampleScores s = fast.perSample(targets, new int[]{0, 2, 5, 5}, IGNORE);
        assertArrayEquals(new int[]{0, 0, 0}, s.count());
        for (int i = 0; i < 3; i++) {
            assertTrue(Float.isNaN(s.meanNll()[i]) && Float.isNaN(s.meanExpNll()[i]) && Float.isNaN(s.meanEl2n()[i])
                    && Float.isNaN(s.entropyResp()[i]), "sample " + i);
        }
        assertEquals((fast.entropy()[0] + fast.entropy()[1]) / 2, s.entropyAll()[0], 1e-6);
        assertTrue(Float.isNaN(s.entropyAll()[2]), "an empty sample has no entropy");
    }

    @Test
    void maskedVocabularyAndInvalidTargets() {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor logits = Tensor.of(new float[]{
                1f, inf, 2f, inf,      // masked entries: probability 0
                1f, inf, 2f, 0.5f,     // target on a masked entry: nll = inf, el2n = sqrt(1 + sum p^2)
                1f, 2f, 3f, 4f,        // target 4 is outside [0, 4): NaN nll and el2n, entropy still computed
                inf, inf, inf, inf},   // no finite logit: NaN
                4, 4);
        Tensor targets = Tensor.ofLongs(new long[]{2, 1, 4, 0}, 4);
        TokenScores fast = TokenScores.compute(logits, targets, IGNORE);
        TokenScores ref = TokenScores.reference(logits, targets, IGNORE);
        assertEquals(Float.POSITIVE_INFINITY, fast.nll()[1]);
        assertTrue(Float.isNaN(fast.nll()[2]) && Float.isNaN(fast.el2n()[2]) && Float.isFinite(fast.entropy()[2]));
        assertTrue(Float.isNaN(fast.nll()[3]) && Float.isNaN(fast.entropy()[3]) && Float.isNaN(fast.el2n()[3]));
        assertClose(ref, fast);
    }

    @Test
    void sampleMeansFollowTheSegments() {
        TokenScores s = new TokenScores(new float[]{1, 2, 3, 4, 5}, new float[]{10, 20, 30, 40, 50},
                new float[]{.1f, .2f, .3f, .4f, .5f});
        Tensor targets = Tensor.ofLongs(new long[]{IGNORE, 7, 8, IGNORE, 9}, 5);
        TokenScores.SampleScores m = s.perSample(targets, new int[]{0, 3, 5}, IGNORE);
        assertArrayEquals(new int[]{2, 1}, m.count());
        assertArrayEquals(new float[]{2.5f, 5f}, m.meanNll());
        assertArrayEquals(new float[]{(float) ((Math.exp(2) + Math.exp(3)) / 2), (float) Math.exp(5)}, m.meanExpNll());
        assertArrayEquals(new float[]{.25f, .5f}, m.meanEl2n(), 1e-7f);
        assertArrayEquals(new float[]{20f, 45f}, m.entropyAll());
        assertArrayEquals(new float[]{25f, 50f}, m.entropyResp());
        assertThrows(IllegalArgumentException.class, () -> s.perSample(targets, new int[]{0, 4, 3}, IGNORE));
    }

    @Test
    void viewsAndHalfPrecisionLogitsAreRead() {
        Random rnd = new Random(4);
        Tensor wide = gaussian(rnd, 2, 9, 6);
        Tensor logits = wide.transpose(0, 1);                       // [6, 9] with strides (1, 6)
        Tensor targets = targets(rnd, 6, 9, true);
        assertClose(TokenScores.reference(logits.contiguous(), targets, IGNORE),
                TokenScores.compute(logits, targets, IGNORE));
        Tensor half = logits.to(DType.BF16);
        assertClose(TokenScores.reference(half.to(DType.F32), targets, IGNORE),
                TokenScores.compute(half, targets, IGNORE));
    }

    static Tensor gaussian(Random rnd, float scale, int... shape) {
        float[] v = new float[shape[0] * shape[1]];
        for (int i = 0; i < v.length; i++) v[i] = (float) (scale * rnd.nextGaussian());
        return Tensor.of(v, shape);
    }

    // Targets in [0, v), every third one ignored when asked.
    static Tensor targets(Random rnd, int n, int v, boolean someIgnored) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = someIgnored && i % 3 == 1 ? IGNORE : rnd.nextInt(v);
        return Tensor.ofLongs(t, n);
    }

    static void assertClose(TokenScores expected, TokenScores actual) {
        assertClose(expected.nll(), actual.nll(), "nll");
        assertClose(expected.entropy(), actual.entropy(), "entropy");
        assertClose(expected.el2n(), actual.el2n(), "el2n");
    }

    private static void assertClose(float[] e, float[] a, String what) {
        assertEquals(e.length, a.length, what + " length");
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isInfinite(e[i])) {
                assertEquals(e[i], a[i], what + "[" + i + "]");
                continue;
            }
            assertTrue(Math.abs(a[i] - e[i]) <= ATOL + RTOL * Math.abs(e[i]),
                    what + "[" + i + "]: expected " + e[i] + ", got " + a[i]);
        }
    }
}
