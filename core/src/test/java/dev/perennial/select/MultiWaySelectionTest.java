/*
 * MultiWaySelection (docs/methods/adapt-inf.md §6.4, Appendix A): invariants 15 and 18, per-cluster expert choice, the
 * baselines, missing scores in both modes, and the edge cases (empty clusters, K > N, budget > pool, bad input).
 */
package dev.perennial.select;

import dev.perennial.select.MultiWaySelection.Config;
import dev.perennial.select.MultiWaySelection.Strategy;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiWaySelectionTest {

    /** A pool of n samples in k clusters with three scorers of different shapes, about 2% NaN. */
    private record Pool(int[] labels, Map<String, float[]> scores) {}

    private static Pool pool(int n, int k, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] labels = new int[n];
        float[] ppl = new float[n], el2n = new float[n], ig = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(k);
            ppl[i] = (float) (labels[i] % 2 == 0 ? rng.nextGaussian() : 0.001 * rng.nextGaussian());
            el2n[i] = (float) rng.nextDouble();
            ig[i] = (float) Math.exp(rng.nextGaussian());
            if (rng.nextDouble() < 0.02) ppl[i] = Float.NaN;
        }
        Map<String, float[]> scores = new LinkedHashMap<>();
        scores.put("ppl", ppl);
        scores.put("el2n", el2n);
        scores.put("ig", ig);
        return new Pool(labels, scores);
    }

    /** Invariant 18: one cluster, one expert, MIN → the B lowest scores. */
    @Test
    void singleClusterMinModeSelectsTheLowestScores() {
        SplittableRandom rng = new SplittableRandom(18);
        float[] s = new float[500];
        for (int i = 0; i < s.length; i++) s[i] = (float) rng.nextGaussian();
        Config min = Config.defaults().withSampling(CoverageCentricSampling.Config.defaults().withMode(CoverageCentricSampling.Mode.MIN));
        Selection sel = MultiWaySelection.select(new int[s.length], 1, Map.of("ppl", s), 40, min);
        int[] expected = IntStream.range(0, s.length).boxed().sorted((a, b) -> Float.compare(s[a], s[b])).limit(40)
                .mapToInt(Integer::intValue).sorted().toArray();
        assertArrayEquals(expected, sel.selected());
        assertEquals("ppl", sel.clusters().get(0).expert());
    }

    /** Invariant 15: S ⊆ pool, sorted, distinct; |S| = Σ min(B_k, |eligible_k|) ≤ B; reports agree with S. */
    @Test
    void defaultModeKeepsInvariant15() {
        Pool p = pool(3000, 7, 15);
        for (int budget : new int[]{0, 1, 70, 700, 2900, 5000}) {
            Selection sel = MultiWaySelection.select(p.labels(), 7, p.scores(), budget, Config.defaults().withSeed(budget));
            int[] s = sel.selected();
            for (int i = 0; i < s.length; i++) {
                assertTrue(s[i] >= 0 && s[i] < 3000);
                if (i > 0) assertTrue(s[i - 1] < s[i]);
            }
            int expected = 0, budgets = 0;
            int[] perCluster = new int[7];
            for (int i : s) perCluster[p.labels()[i]]++;
            for (Selection.ClusterReport r : sel.clusters()) {
                expected += Math.min(r.budget(), r.eligible());
                budgets += r.budget();
                assertEquals(Math.min(r.budget(), r.eligible()), r.selected());
                assertEquals(perCluster[r.cluster()], r.selected());
                assertEquals(r.size(), Arrays.stream(p.labels()).filter(l -> l == r.cluster()).count());
            }
            assertEquals(Math.min(budget, 3000), budgets);
            assertEquals(expected, s.length);
            assertTrue(s.length <= budget);
        }
    }

    /** Invariant 15, CODE_COMPAT: the official path may exceed B (one per non-empty stratum when B_k < 50). */
    @Test
    void codeCompatMayExceedTheBudget() {
        Pool p = pool(3000, 3, 16);
        Selection sel = MultiWaySelection.select(p.labels(), 3, p.scores(), 30, Config.codeCompat());
        assertTrue(sel.size() > 30, "selected " + sel.size());
        for (Selection.ClusterReport r : sel.clusters()) assertEquals(10, r.budget());
        assertEquals(sel.size(), Arrays.stream(sel.selected()).distinct().count());
    }

    /** Clusters choose their own experts: a near-constant score loses, a spread one wins (§6.4). */
    @Test
    void expertsDifferAcrossClusters() {
        int n = 400;
        int[] labels = new int[n];
        float[] a = new float[n], b = new float[n];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            a[i] = labels[i] == 0 ? (float) rng.nextGaussian() : 1f;     // constant in cluster 1
            b[i] = labels[i] == 1 ? (float) rng.nextGaussian() : 2f;     // constant in cluster 0
        }
        Map<String, float[]> scores = new LinkedHashMap<>();
        scores.put("a", a);
        scores.put("b", b);
        Selection sel = MultiWaySelection.select(labels, 2, scores, 100, Config.defaults());
        assertEquals("a", sel.clusters().get(0).expert());
        assertEquals("b", sel.clusters().get(1).expert());
        assertEquals(0.0, sel.clusters().get(0).entropyBits().get("b"), 0);
        assertTrue(sel.clusters().get(0).entropyBits().get("a") > 3);
        assertEquals(100, sel.size());
        // the official criterion gives the constant score NaN, which np.argmax selects
        Selection compat = MultiWaySelection.select(labels, 2, scores, 100, Config.codeCompat());
        assertEquals("b", compat.clusters().get(0).expert());
        assertEquals("a", compat.clusters().get(1).expert());
        assertTrue(compat.clusters().get(0).entropyBits().get("b").isNaN());
    }

    /** Missing scores are counted; by default they are never selected on score and not in the entropy. */
    @Test
    void missingScoresAreCountedAndNeverSelectedOnScore() {
        Pool p = pool(2000, 2, 21);
        float[] ppl = p.scores().get("ppl");
        int nan = (int) IntStream.range(0, ppl.length).filter(i -> Float.isNaN(ppl[i])).count();
        assertTrue(nan > 0);
        Config onlyPpl = Config.defaults().singleScore("ppl");
        Selection sel = MultiWaySelection.select(p.labels(), 2, p.scores(), 1500, onlyPpl);
        assertEquals(Map.of("ppl", nan, "el2n", 0, "ig", 0), sel.nonFiniteScores());
        for (int i : sel.selected()) assertTrue(!Float.isNaN(ppl[i]));
        for (Selection.ClusterReport r : sel.clusters()) assertEquals("ppl", r.expert());
    }

    @Test
    void baselines() {
        Pool p = pool(1000, 4, 22);
        Config base = Config.defaults().withSeed(5);
        Selection random = MultiWaySelection.select(p.labels(), 4, p.scores(), 120, base.withStrategy(Strategy.RANDOM));
        assertEquals(120, random.size());
        assertEquals(120, Arrays.stream(random.selected()).distinct().count());
        assertArrayEquals(random.selected(), MultiWaySelection.select(p.labels(), 4, p.scores(), 120, base.withStrategy(Strategy.RANDOM)).selected());
        for (Selection.ClusterReport r : random.clusters()) {
            assertNull(r.budget());
            assertNull(r.expert());
        }
        assertEquals(1000, MultiWaySelection.select(p.labels(), 4, Map.of(), 5000, base.withStrategy(Strategy.RANDOM)).size());

        Selection perCluster = MultiWaySelection.select(p.labels(), 4, Map.of(), 120, base.withStrategy(Strategy.RANDOM_PER_CLUSTER));
        assertEquals(120, perCluster.size());
        for (Selection.ClusterReport r : perCluster.clusters()) {
            assertEquals(30, r.budget());
            assertEquals(30, r.selected());
            assertNull(r.expert());
        }

        Selection single = MultiWaySelection.select(p.labels(), 4, p.scores(), 120, base.singleScore("ig"));
        for (Selection.ClusterReport r : single.clusters()) {
            assertEquals("ig", r.expert());
            assertEquals(3, r.entropyBits().size());
        }
        assertEquals(120, single.size());
    }

    /** A fixed seed reproduces the selection; changing one cluster's scores leaves the others' draws alone. */
    @Test
    void reproducibleAndClusterIndependent() {
        Pool p = pool(2000, 5, 23);
        Selection a = MultiWaySelection.select(p.labels(), 5, p.scores(), 300, Config.defaults().withSeed(11));
        assertArrayEquals(a.selected(), MultiWaySelection.select(p.labels(), 5, p.scores(), 300, Config.defaults().withSeed(11)).selected());
        assertNotEquals(Arrays.toString(a.selected()),
                Arrays.toString(MultiWaySelection.select(p.labels(), 5, p.scores(), 300, Config.defaults().withSeed(12)).selected()));
        Map<String, float[]> changed = new LinkedHashMap<>();
        p.scores().forEach((k, v) -> changed.put(k, v.clone()));
        for (int i = 0; i < 2000; i++) if (p.labels()[i] == 3) changed.get("el2n")[i] = -changed.get("el2n")[i] * 5;
        Selection b = MultiWaySelection.select(p.labels(), 5, changed, 300, Config.defaults().withSeed(11));
        for (int k : new int[]{0, 1, 2, 4}) {
            int kk = k;
            assertArrayEquals(Arrays.stream(a.selected()).filter(i -> p.labels()[i] == kk).toArray(),
                    Arrays.stream(b.selected()).filter(i -> p.labels()[i] == kk).toArray());
        }
    }

    /** K > N leaves clusters empty: budget 0, no expert, no entropies; the others share B. */
    @Test
    void emptyClustersAndKLargerThanN() {
        int[] labels = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
        float[] s = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
        Selection sel = MultiWaySelection.select(labels, 12, Map.of("s", s), 4,
                Config.defaults().withSampling(CoverageCentricSampling.Config.defaults().withMode(CoverageCentricSampling.Mode.MIN)));
        assertEquals(12, sel.clusters().size());
        assertArrayEquals(new int[]{6, 7, 8, 9}, sel.selected());
        for (int k = 2; k < 12; k++) {
            Selection.ClusterReport r = sel.clusters().get(k);
            assertEquals(0, r.size());
            assertEquals(0, r.budget());
            assertNull(r.expert());
            assertTrue(r.entropyBits().isEmpty());
            assertEquals(0, r.selected());
        }
    }

    /** B > N: every cluster gets its size; CCS takes every eligible member, with fillFromTails every finite one. */
    @Test
    void budgetLargerThanThePool() {
        Pool p = pool(800, 3, 24);
        Selection ccs = MultiWaySelection.select(p.labels(), 3, p.scores(), 10_000, Config.defaults());
        int eligible = 0;
        for (Selection.ClusterReport r : ccs.clusters()) {
            assertEquals(r.size(), r.budget());
            eligible += r.eligible();
            assertTrue(r.eligible() < r.size());
        }
        assertEquals(eligible, ccs.size());
        Config fill = Config.defaults().withSampling(CoverageCentricSampling.Config.defaults().withFillFromTails(true));
        Selection filled = MultiWaySelection.select(p.labels(), 3, p.scores(), 10_000, fill);
        int finite = 0;
        for (Selection.ClusterReport r : filled.clusters()) {
            float[] chosen = p.scores().get(r.expert());
            finite += (int) IntStream.range(0, 800).filter(i -> p.labels()[i] == r.cluster() && Float.isFinite(chosen[i])).count();
        }
        assertEquals(finite, filled.size());
    }

    @Test
    void invalidInputIsRefused() {
        Map<String, float[]> s = Map.of("s", new float[3]);
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 3, 1}, 3, s, 1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, -1, 1}, 3, s, 1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 1}, 3, s, 1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 1, 1}, 3, s, -1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 1, 1}, 0, s, 1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 1, 1}, 3, Map.of(), 1, Config.defaults()));
        assertThrows(IllegalArgumentException.class, () -> MultiWaySelection.select(new int[]{0, 1, 1}, 3, s, 1, Config.defaults().singleScore("x")));
        assertThrows(IllegalArgumentException.class, () -> Config.defaults().withStrategy(Strategy.SINGLE_SCORE));
    }
}
