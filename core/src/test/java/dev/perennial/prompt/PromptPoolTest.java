/*
 * The pool, key and selection invariants of docs/methods/modalprompt.md §12 (items 2–14 and 19) on pools built here: random
 * prompts of width D = 12, keys of width d = 6, random queries. Each check compares with a plain double
 * computation written in the test, never with the code under test.
 */
package dev.perennial.prompt;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Tape;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class PromptPoolTest {
    static final Backend BE = new CpuBackend();
    static final int D = 12, KD = 6, L = 3;

    static Tensor random(SplittableRandom r, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return Tensor.of(v, shape);
    }

    static PromptPool modalPrompt(int tasks, int k, float lambda, long seed) {
        PromptPool pool = new PromptPool(PromptPoolConfig.modalPrompt(k, L, lambda, KD), D);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < tasks; i++) pool.add("t" + (i + 1), random(r, L, D), seed * 100 + i);
        return pool;
    }

    /** s[b][i] = lambda cos(v_b, k_i) + (1 - lambda) cos(u_b, k_i), in double, with keys from a naive MLP loop. */
    static double[][] expectedScores(PromptPool pool, Tensor q, float lambda) {
        int b = q.size(1);
        double[][] s = new double[b][pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            double[] k = naiveKey(pool.entry(i));
            for (int j = 0; j < b; j++) {
                s[j][i] = lambda * cos(row(q, 0, j), k) + (1 - lambda) * cos(row(q, 1, j), k);
            }
        }
        return s;
    }

    static double[] row(Tensor q, int m, int b) {
        double[] r = new double[q.size(2)];
        for (int x = 0; x < r.length; x++) r[x] = q.getFloat(m, b, x);
        return r;
    }

    static double cos(double[] a, double[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
    }

    /** (1/L) sum_j W2 silu(W1 p_j + b1) + b2, loops in double (§12.4). */
    static double[] naiveKey(PromptEntry e) {
        var t = e.mlp().tensors();
        Tensor w1 = t.get(KeyMlp.W1), b1 = t.get(KeyMlp.B1), w2 = t.get(KeyMlp.W2), b2 = t.get(KeyMlp.B2);
        int d = w1.size(0), kd = w2.size(0), l = e.length();
        double[] key = new double[kd];
        for (int j = 0; j < l; j++) {
            double[] h = new double[d];
            for (int o = 0; o < d; o++) {
                double a = b1.getFloat(o);
                for (int i = 0; i < d; i++) a += (double) w1.getFloat(o, i) * e.prompt().getFloat(j, i);
                h[o] = a / (1 + Math.exp(-a));
            }
            for (int o = 0; o < kd; o++) {
                double a = b2.getFloat(o);
                for (int i = 0; i < d; i++) a += w2.getFloat(o, i) * h[i];
                key[o] += a / l;
            }
        }
        return key;
    }

    // ------------------------------------------------------------------------------------------- pool and keys

    @Test
    void promptRowsAreVocabularyRows() {                                                     // §12.2
        SplittableRandom r = new SplittableRandom(1);
        Tensor table = random(r, 50, D);
        Tensor p = PromptPool.vocabularyInit(table, 40, 10, 9);
        for (int j = 0; j < 10; j++) {
            float[] row = p.select(0, j).contiguous().toFloatArray();
            boolean found = false;
            for (int v = 0; v < 40 && !found; v++) found = Arrays.equals(row, table.select(0, v).contiguous().toFloatArray());
            assertTrue(found, "row " + j + " is a copy of a row below the vocabulary size");
        }
        assertArrayEquals(p.toFloatArray(), PromptPool.vocabularyInit(table, 40, 10, 9).toFloatArray(), "seeded");
        assertFalse(Arrays.equals(p.toFloatArray(), PromptPool.vocabularyInit(table, 40, 10, 10).toFloatArray()));
        assertThrows(IllegalArgumentException.class, () -> PromptPool.vocabularyInit(table, 51, 10, 9));
    }

    @Test
    void keysAreTheMeanOfTheMlpOverPromptRows() {                                           // §12.3, §12.4
        PromptPool pool = modalPrompt(4, 3, 0.5f, 2);
        Tensor keys = pool.keyTensor(BE, 4);
        assertArrayEquals(new int[]{2, 4, KD}, keys.shape());
        for (int i = 0; i < 4; i++) {
            double[] expected = naiveKey(pool.entry(i));
            for (int m = 0; m < 2; m++) for (int x = 0; x < KD; x++) assertEquals(expected[x], keys.getFloat(m, i, x), 1e-5);
        }
        // key_i depends only on (P_i, g_i)
        float[] k0 = pool.entry(0).keyValues(BE).clone(), k2 = pool.entry(2).keyValues(BE).clone();
        pool.entry(1).prompt().setFloat(5f, 0, 0);
        pool.entry(1).mlp().tensors().get(KeyMlp.B2).setFloat(3f, 0);
        pool.entry(1).invalidateKey();
        for (int i : new int[]{0, 2}) pool.entry(i).invalidateKey();
        assertArrayEquals(k0, pool.entry(0).keyValues(BE));
        assertArrayEquals(k2, pool.entry(2).keyValues(BE));
        assertNotEquals(naiveKey(pool.entry(1))[0], naiveKey(modalPrompt(4, 3, 0.5f, 2).entry(1))[0]);
    }

    // ------------------------------------------------------------------------------------------- scores

    @ParameterizedTest
    @CsvSource({"0.5", "1.0", "0.0", "0.25"})
    void scoresAreTheWeightedCosines(float lambda) {                                        // §12.5, §12.7
        PromptPool pool = modalPrompt(5, 3, lambda, 3);
        Tensor q = random(new SplittableRandom(4), 2, 7, KD);
        double[][] expected = expectedScores(pool, q, lambda), got = pool.scoreMatrix(BE, q, 5);
        for (int b = 0; b < 7; b++) {
            for (int i = 0; i < 5; i++) {
                assertEquals(expected[b][i], got[b][i], 1e-6);
                assertTrue(Math.abs(got[b][i]) <= 1 + 1e-9);
            }
        }
        // lambda = 1 ignores u, lambda = 0 ignores v
        Tensor changed = q.contiguous();
        int ignored = lambda == 1f ? 1 : lambda == 0f ? 0 : -1;
        if (ignored >= 0) {
            changed = Tensor.of(q.toFloatArray(), 2, 7, KD);
            for (int b = 0; b < 7; b++) for (int x = 0; x < KD; x++) changed.setFloat(99f * (x + 1), ignored, b, x);
            double[][] again = pool.scoreMatrix(BE, changed, 5);
            for (int b = 0; b < 7; b++) assertArrayEquals(got[b], again[b], 1e-12);
            PromptSelection s1 = pool.selectForInference(BE, q), s2 = pool.selectForInference(BE, changed);
            assertArrayEquals(s1.entries(), s2.entries());
        }
    }

    @Test
    void identicalQueriesAndKeyScoreOneAndScaleDoesNotMatter() {                            // §12.5, §12.6, §12.8
        PromptPool pool = modalPrompt(3, 3, 0.5f, 5);
        float[] k = pool.entry(1).keyValues(BE);
        float[] q = new float[2 * KD];
        System.arraycopy(k, 0, q, 0, KD);
        System.arraycopy(k, 0, q, KD, KD);
        assertEquals(1.0, pool.scoreMatrix(BE, Tensor.of(q, 2, 1, KD), 3)[0][1], 1e-6);

        Tensor x = random(new SplittableRandom(6), 2, 4, KD);
        float[] scaled = x.toFloatArray();
        for (int i = 0; i < scaled.length; i++) scaled[i] *= i < 4 * KD ? 37f : 0.003f;
        double[][] a = pool.scoreMatrix(BE, x, 3), b = pool.scoreMatrix(BE, Tensor.of(scaled, 2, 4, KD), 3);
        for (int i = 0; i < 4; i++) assertArrayEquals(a[i], b[i], 1e-6);
        assertArrayEquals(pool.selectForInference(BE, x).entries(), pool.selectForInference(BE, Tensor.of(scaled, 2, 4, KD)).entries());

        double[][] zero = pool.scoreMatrix(BE, Tensor.zeros(2, 2, KD), 3);
        for (double[] r : zero) for (double v : r) assertEquals(0.0, v, "a zero query scores 0, never NaN");
        PromptSelection z = pool.selectForInference(BE, Tensor.zeros(2, 2, KD));
        assertArrayEquals(new int[]{2, 1, 0}, z.entries()[0], "all tied at 0: lower index is better, listed last");
    }

    // ------------------------------------------------------------------------------------------- selection

    @ParameterizedTest
    @CsvSource({"1, 3", "2, 3", "3, 3", "4, 3", "7, 3", "5, 1", "6, 2", "2, 5", "9, 4"})
    void testTimeSelection(int t, int k) {                                                  // §12.10–12.12, §12.9
        PromptPool pool = modalPrompt(t, k, 0.5f, 10L * t + k);
        Tensor q = random(new SplittableRandom(t * 7L + k), 2, 9, KD);
        double[][] s = expectedScores(pool, q, 0.5f);
        PromptSelection sel = pool.selectForInference(BE, q);
        for (int b = 0; b < 9; b++) {
            int[] e = sel.entries()[b];
            assertEquals(Math.min(t, k), e.length);
            Set<Integer> distinct = new HashSet<>();
            for (int i : e) assertTrue(i >= 0 && i < t && distinct.add(i));
            for (int j = 1; j < e.length; j++) assertTrue(s[b][e[j - 1]] <= s[b][e[j]], "ascending, most similar last");
            // exactly the top min(t, K) by score
            Integer[] order = new Integer[t];
            for (int i = 0; i < t; i++) order[i] = i;
            final int row = b;
            Arrays.sort(order, (x, y) -> Double.compare(s[row][y], s[row][x]));
            Set<Integer> top = new HashSet<>(Arrays.asList(order).subList(0, e.length));
            assertEquals(top, distinct);
            for (int j = 0; j < e.length; j++) assertEquals(s[b][e[j]], sel.scores()[b][j], 1e-5);
            if (t == 1) assertArrayEquals(new int[]{0}, e);
            // batch independence: the sample alone selects the same
            Tensor alone = Tensor.of(new float[2 * KD], 2, 1, KD);
            for (int m = 0; m < 2; m++) for (int x = 0; x < KD; x++) alone.setFloat(q.getFloat(m, b, x), m, 0, x);
            assertArrayEquals(e, pool.selectForInference(BE, alone).entries()[0]);
        }
        // block length L * min(t, K)
        for (var ins : pool.compose(BE, sel)) assertEquals(L * Math.min(t, k), ins.length());
    }

    @ParameterizedTest
    @CsvSource({"1, 3", "2, 3", "3, 3", "4, 3", "8, 3", "5, 1", "6, 2", "3, 5", "4, 5", "9, 4"})
    void trainingSelection(int t, int k) {                                                  // §12.10, §12.13, §12.14
        PromptPool pool = modalPrompt(t, k, 0.5f, 20L * t + k);
        Tensor q = random(new SplittableRandom(t * 11L + k), 2, 6, KD);
        double[][] s = expectedScores(pool, q, 0.5f);
        int current = t - 1;
        PromptSelection sel = pool.selectForTraining(BE, q, current);
        for (int b = 0; b < 6; b++) {
            int[] e = sel.entries()[b];
            assertEquals(current, e[e.length - 1], "the current task is last");
            assertEquals(k == 1 ? 1 : Math.min(t, k), e.length);
            for (int j = 0; j < e.length - 1; j++) assertTrue(e[j] < current);
            if (t <= k - 1) {
                int[] natural = new int[t];
                for (int i = 0; i < t; i++) natural[i] = i;
                assertArrayEquals(natural, e, "t <= K - 1: all tasks in natural order");
            } else if (k > 1) {
                Integer[] order = new Integer[current];
                for (int i = 0; i < current; i++) order[i] = i;
                final int row = b;
                Arrays.sort(order, (x, y) -> Double.compare(s[row][y], s[row][x]));
                Set<Integer> expected = new HashSet<>(Arrays.asList(order).subList(0, k - 1));
                Set<Integer> got = new HashSet<>();
                for (int j = 0; j < e.length - 1; j++) got.add(e[j]);
                assertEquals(expected, got, "the top K-1 previous tasks");
                for (int j = 1; j < e.length - 1; j++) assertTrue(s[b][e[j - 1]] <= s[b][e[j]]);
            }
        }
    }

    @Test
    void tiesResolveByLowerIndexDeterministically() {                                       // §12.12
        PromptPool pool = new PromptPool(PromptPoolConfig.modalPrompt(2, L, 0.5f, KD), D);
        SplittableRandom r = new SplittableRandom(3);
        Tensor p = random(r, L, D);
        KeyMlp mlp = KeyMlp.initialise(D, KD, 4);
        for (int i = 0; i < 4; i++) {
            var t = mlp.tensors();
            pool.add(PromptEntry.derived("e" + i, Tensor.of(p.toFloatArray(), L, D), new KeyMlp(copy(t.get(KeyMlp.W1)),
                    copy(t.get(KeyMlp.B1)), copy(t.get(KeyMlp.W2)), copy(t.get(KeyMlp.B2)))));
        }
        Tensor q = random(r, 2, 3, KD);
        for (int rep = 0; rep < 3; rep++) {
            for (int[] e : pool.selectForInference(BE, q).entries()) assertArrayEquals(new int[]{1, 0}, e, "equal keys: entries 0 then 1 are best; 0 last");
        }
    }

    private static Tensor copy(Tensor t) { return Tensor.of(t.toFloatArray(), t.shape()); }

    // ------------------------------------------------------------------------------------------- key loss

    @Test
    void keyLossIsOneMinusMeanCosinePerModality() {                                         // §12.19
        PromptPool pool = modalPrompt(3, 3, 0.5f, 8);
        Tensor q = random(new SplittableRandom(9), 2, 5, KD);
        PromptSelection sel = pool.selectForTraining(BE, q, 2);
        double[] k = naiveKey(pool.entry(2));
        double expected = 0;
        for (int m = 0; m < 2; m++) {
            double mean = 0;
            for (int b = 0; b < 5; b++) mean += cos(row(q, m, b), k) / 5;
            double term = 1 - mean;
            assertTrue(term >= 0 && term <= 2);
            expected += term;
        }
        try (TensorScope ignored = TensorScope.open()) {
            assertEquals(expected, pool.keyLoss(BE, q, sel, 2).item(), 1e-5);
            // zero iff every query is a positive multiple of the key
            float[] aligned = new float[2 * 5 * KD];
            for (int m = 0; m < 2; m++) for (int b = 0; b < 5; b++) for (int x = 0; x < KD; x++) aligned[(m * 5 + b) * KD + x] = (float) (k[x] * (b + 1));
            assertEquals(0.0, pool.keyLoss(BE, Tensor.of(aligned, 2, 5, KD), sel, 2).item(), 1e-5);
            // the gradient reaches the current prompt and key MLP only
            Tape tape = new Tape();
            pool.trainable(2).values().forEach(tape::watch);
            var grads = tape.backward(pool.keyLoss(new GradBackend(BE, tape), q, sel, 2));
            for (var e : pool.trainable(2).entrySet()) {
                assertNotNull(grads.of(e.getValue()), e.getKey());
                double n = 0;
                for (float g : grads.of(e.getValue()).toFloatArray()) n += g * g;
                assertTrue(n > 0, "a nonzero gradient for " + e.getKey());
            }
            assertEquals(List.of("t3/prompt", "t3/key_mlp.0.weight", "t3/key_mlp.0.bias", "t3/key_mlp.2.weight", "t3/key_mlp.2.bias"),
                    new ArrayList<>(pool.trainable(2).keySet()));
        }
    }

    @Test
    void keyLossGradientMatchesFiniteDifferences() {
        PromptPool pool = modalPrompt(2, 3, 0.5f, 12);
        Tensor q = random(new SplittableRandom(13), 2, 4, KD);
        PromptSelection sel = pool.selectForTraining(BE, q, 1);
        Tensor p = pool.entry(1).prompt();
        float[] analytic;
        try (TensorScope ignored = TensorScope.open()) {
            Tape tape = new Tape();
            tape.watch(p);
            analytic = tape.backward(pool.keyLoss(new GradBackend(BE, tape), q, sel, 1)).of(p).toFloatArray();
        }
        double h = 1e-2;
        for (int i : new int[]{0, 5, 17, 30}) {
            int r = i / D, c = i % D;
            float orig = p.getFloat(r, c);
            p.setFloat((float) (orig + h), r, c);
            double plus = lossOf(pool, q, sel);
            p.setFloat((float) (orig - h), r, c);
            double minus = lossOf(pool, q, sel);
            p.setFloat(orig, r, c);
            double fd = (plus - minus) / (2 * h);
            assertEquals(fd, analytic[i], 2e-3 + 2e-2 * Math.abs(fd), "d loss / d P[" + r + "," + c + "]");
        }
    }

    private static double lossOf(PromptPool pool, Tensor q, PromptSelection sel) {
        try (TensorScope ignored = TensorScope.open()) {
            return pool.keyLoss(BE, q, sel, 1).item();
        }
    }

    // ------------------------------------------------------------------------------------------- other presets

    @Test
    void l2pSelectsTheBestFreeKeysAndPullsTheSelectedOnes() {
        PromptPool pool = new PromptPool(PromptPoolConfig.l2p(6, 2, L, KD, "image", 0.5f), D);
        SplittableRandom r = new SplittableRandom(14);
        for (int i = 0; i < 6; i++) pool.add("p" + i, random(r, L, D), 70 + i);
        Tensor q = random(r, 1, 5, KD);
        PromptSelection sel = pool.selectForTraining(BE, q, -1);
        assertArrayEquals(pool.selectForInference(BE, q).entries(), sel.entries(), "a shared pool selects the same in training");
        double expected = 0;
        for (int b = 0; b < 5; b++) {
            assertEquals(2, sel.entries()[b].length);
            for (int e : sel.entries()[b]) {
                double[] k = new double[KD];
                for (int x = 0; x < KD; x++) k[x] = pool.entry(e).freeKey().getFloat(x);
                expected += 0.5 * (1 - cos(row(q, 0, b), k)) / 5;
            }
        }
        try (TensorScope ignored = TensorScope.open()) {
            assertEquals(expected, pool.keyLoss(BE, q, sel, -1).item(), 1e-5);
        }
        assertEquals(12, pool.trainable(-1).size(), "every prompt and key of a shared pool trains");
    }

    @Test
    void sPromptsPickTheEntryOfTheNearestCentroid() {
        PromptPool pool = new PromptPool(PromptPoolConfig.sPrompts(L, KD, "image", 2), D);
        SplittableRandom r = new SplittableRandom(15);
        // two tasks whose queries sit around different directions
        for (int t = 0; t < 2; t++) {
            pool.add("task" + t, random(r, L, D), t);
            float[] q = new float[20 * KD];
            for (int i = 0; i < 20; i++) for (int x = 0; x < KD; x++) q[i * KD + x] = (x == 2 * t || x == 2 * t + 1 ? 3f : 0f) + (float) r.nextDouble() - 0.5f;
            pool.fitCentroids(t, Tensor.of(q, 1, 20, KD), 5);
            assertArrayEquals(new int[]{1, 2, KD}, pool.entry(t).centroids().shape());
        }
        float[] probe = new float[2 * KD];
        probe[0] = 1;
        probe[KD + 3] = 1;
        PromptSelection sel = pool.selectForInference(BE, Tensor.of(probe, 1, 2, KD));
        assertArrayEquals(new int[]{0}, sel.entries()[0]);
        assertArrayEquals(new int[]{1}, sel.entries()[1]);
    }

    @Test
    void softSelectionMixesEveryPromptByItsScore() {                                      // §12.21
        PromptPoolConfig soft = new PromptPoolConfig("soft", L, KD, PromptQueries.single("image"), PromptPoolConfig.Growth.SHARED, 3,
                new FreeKeys(), PromptScore.COSINE, new SoftSelector(false), PromptComposer.WEIGHTED_SUM, KeyLoss.NONE,
                PromptPoolConfig.Trainable.ALL_ENTRIES);
        PromptPool pool = new PromptPool(soft, D);
        SplittableRandom r = new SplittableRandom(16);
        for (int i = 0; i < 3; i++) pool.add("p" + i, random(r, L, D), 80 + i);
        Tensor q = random(r, 1, 2, KD);
        PromptSelection sel = pool.selectForInference(BE, q);
        double[][] s = pool.scoreMatrix(BE, q, 3);
        try (TensorScope ignored = TensorScope.open()) {
            var inserts = pool.compose(BE, sel);
            for (int b = 0; b < 2; b++) {
                assertArrayEquals(new int[]{0, 1, 2}, sel.entries()[b]);
                float[] got = inserts.get(b).embeddings().contiguous().toFloatArray();
                assertEquals(L, inserts.get(b).length(), "a weighted sum keeps one prompt's length");
                for (int i = 0; i < L * D; i++) {
                    double expected = 0;
                    for (int e = 0; e < 3; e++) {
                        assertEquals(s[b][e], sel.weights()[b][e], 1e-6, "the weights are the scores, reported separately");
                        expected += s[b][e] * pool.entry(e).prompt().toFloatArray()[i];
                    }
                    assertEquals(expected, got[i], 1e-5);
                }
            }
        }
    }

    @Test
    void configurationErrorsAreClear() {
        var e = assertThrows(IllegalArgumentException.class, () -> PromptPoolConfig.modalPrompt(3, 10, 1.5f, 768));
        assertTrue(e.getMessage().contains("lambda"));
        PromptPool pool = modalPrompt(2, 3, 0.5f, 1);
        var bad = assertThrows(IllegalArgumentException.class, () -> pool.selectForInference(BE, Tensor.zeros(2, 3, KD + 1)));
        assertTrue(bad.getMessage().contains("queries must be [2 (image, text), B, 6]"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.add("t1", Tensor.zeros(L, D), 0), "duplicate name");
        assertThrows(IllegalArgumentException.class, () -> pool.add("x", Tensor.zeros(L + 1, D), 0), "wrong prompt length");
        assertThrows(IllegalStateException.class, () -> new PromptPool(PromptPoolConfig.modalPrompt(3, L, 0.5f, KD), D)
                .selectForInference(BE, Tensor.zeros(2, 1, KD)));
    }
}
