/*
 * PermanentPruning (docs/methods/adapt-inf.md §7.1): the golden case of invariant 16, duplicates, exact per-cluster counts,
 * the blocked computation against a naive one (m not a multiple of the tile), invariant 17 over several steps,
 * and the pool-size behaviour of both budget modes.
 */
package dev.perennial.select;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.VectorSource;
import dev.perennial.tensor.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PermanentPruningTest {

    private static final CpuBackend CPU = new CpuBackend();

    /** Invariant 16 golden: [(1,0), (1,0), (0,1), (0.6,0.8)] → M = [0, 1, 0, 0.8]; keep 2 → {0, 2}. */
    @Test
    void goldenCase() {
        VectorSource v = new InMemoryVectors(new float[][]{{1, 0}, {1, 0}, {0, 1}, {0.6f, 0.8f}});
        PermanentPruning.Result r = new PermanentPruning(2).prune(new int[4], 1, v);
        assertTrue(r.pruned());
        assertArrayEquals(new float[]{0, 1, 0, 0.8f}, r.redundancy(), 1e-6f);
        assertArrayEquals(new int[]{0, 2}, r.kept());
        assertArrayEquals(new int[]{2}, r.keepBudgets());
    }

    /** Invariant 16: the earliest copy keeps its M over even earlier members, later copies get M = 1. */
    @Test
    void laterDuplicatesAreDroppedFirst() {
        float[] a = {0.3f, -0.2f, 0.9f}, b = {-0.5f, 0.4f, 0.1f};
        float[] aScaled = {0.6f, -0.4f, 1.8f};                             // same direction: cos 1
        VectorSource v = new InMemoryVectors(new float[][]{b, a, aScaled, a, b});
        float[] m = new PermanentPruning(1, BudgetSplit.Mode.EXACT_WATERFILL, 2, CPU).redundancy(new int[]{0, 1, 2, 3, 4}, v);
        float cosAB = (float) cos(a, b);
        assertEquals(0, m[0], 0);
        assertEquals(Math.max(0, cosAB), m[1], 1e-6);
        for (int j = 2; j < 5; j++) assertEquals(1, m[j], 1e-6);
        assertArrayEquals(new int[]{0, 1}, new PermanentPruning(2, BudgetSplit.Mode.EXACT_WATERFILL, 2, CPU).prune(new int[5], 1, v).kept());
    }

    /** Invariant 16: exactly min(keep_k, |C_k|) members per cluster; blocked M equals the naive M (m = 77, tiles of 16). */
    @Test
    void blockedRedundancyMatchesNaiveAndCountsAreExact() {
        SplittableRandom rng = new SplittableRandom(16);
        int n = 230, d = 24, k = 3;
        float[][] rows = new float[n][d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i < 77 ? 0 : i < 200 ? 1 : 2;                      // sizes 77, 123, 30
            if (i > 10 && rng.nextDouble() < 0.1) {
                int src = rng.nextInt(i);
                for (int c = 0; c < d; c++) rows[i][c] = rows[src][c] + (float) (0.01 * rng.nextGaussian());
            } else {
                for (int c = 0; c < d; c++) rows[i][c] = (float) rng.nextGaussian();
            }
        }
        rows[40][3] = Float.NaN;                                           // read as 0
        VectorSource v = new InMemoryVectors(rows);
        int[] members0 = IntStream.range(0, 77).toArray();
        float[] naive = naiveRedundancy(rows, members0);
        for (int tile : new int[]{16, 7, 76, 77, 256}) {
            float[] blocked = new PermanentPruning(10, BudgetSplit.Mode.EXACT_WATERFILL, tile, CPU).redundancy(members0, v);
            assertArrayEquals(naive, blocked, 1e-5f, "tile " + tile);
        }
        PermanentPruning.Result r = new PermanentPruning(120, BudgetSplit.Mode.EXACT_WATERFILL, 16, CPU).prune(labels, k, v);
        assertArrayEquals(new int[]{45, 45, 30}, r.keepBudgets());
        assertEquals(120, r.kept().length);
        int[] perCluster = new int[k];
        for (int i : r.kept()) perCluster[labels[i]]++;
        assertArrayEquals(new int[]{45, 45, 30}, perCluster);
        // the kept members of cluster 1 are its 45 least redundant (naive M, ties by position)
        int[] members1 = IntStream.range(77, 200).toArray();
        float[] m1 = naiveRedundancy(rows, members1);
        int[] expected = IntStream.range(0, members1.length).boxed()
                .sorted((x, y) -> m1[x] != m1[y] ? Float.compare(m1[x], m1[y]) : Integer.compare(x, y))
                .limit(45).mapToInt(j -> members1[j]).sorted().toArray();
        assertArrayEquals(expected, Arrays.stream(r.kept()).filter(i -> labels[i] == 1).toArray());
    }

    private static float[] naiveRedundancy(float[][] rows, int[] members) {
        float[] m = new float[members.length];
        for (int j = 0; j < members.length; j++) {
            double best = 0;
            for (int i = 0; i < j; i++) best = Math.max(best, cos(rows[members[i]], rows[members[j]]));
            m[j] = (float) best;
        }
        return m;
    }

    private static double cos(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int c = 0; c < a.length; c++) {
            double x = Float.isNaN(a[c]) ? 0 : a[c], y = Float.isNaN(b[c]) ? 0 : b[c];
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab / Math.max(Math.sqrt(aa), 1e-12) / Math.max(Math.sqrt(bb), 1e-12);
    }

    /**
     * Invariant 17 over six steps: new data joins, the pool is pruned to P_max, never exceeds it (EXACT_WATERFILL),
     * and a pruned id never comes back.
     */
    @Test
    void poolStaysUnderTheCapAndPrunedIdsNeverReappear() {
        SplittableRandom rng = new SplittableRandom(17);
        int d = 8, cap = 150, k = 4;
        List<Integer> pool = new ArrayList<>();
        List<float[]> vectorsById = new ArrayList<>();
        Set<Integer> pruned = new HashSet<>();
        for (int step = 0; step < 6; step++) {
            for (int j = 0; j < 80; j++) {                                   // D_t joins the pool
                float[] x = new float[d];
                for (int c = 0; c < d; c++) x[c] = (float) rng.nextGaussian();
                pool.add(vectorsById.size());
                vectorsById.add(x);
            }
            float[][] rows = pool.stream().map(vectorsById::get).toArray(float[][]::new);
            int[] labels = new int[rows.length];
            for (int i = 0; i < labels.length; i++) labels[i] = rng.nextInt(k);
            PermanentPruning.Result r = new PermanentPruning(cap, BudgetSplit.Mode.EXACT_WATERFILL, 32, CPU)
                    .prune(labels, k, new InMemoryVectors(rows));
            assertEquals(Math.min(cap, rows.length), r.kept().length);
            List<Integer> next = new ArrayList<>();
            for (int i : r.kept()) next.add(pool.get(i));
            for (int id : pool) if (!next.contains(id)) pruned.add(id);
            for (int id : next) assertFalse(pruned.contains(id));
            pool = next;
            assertTrue(pool.size() <= cap);
        }
        assertEquals(cap, pool.size());
    }

    /** At or under P_max nothing is computed or removed. */
    @Test
    void noPruningUnderTheCap() {
        VectorSource v = new InMemoryVectors(new float[][]{{1, 0}, {1, 0}, {0, 1}});
        PermanentPruning.Result r = new PermanentPruning(3).prune(new int[]{0, 1, 0}, 2, v);
        assertFalse(r.pruned());
        assertArrayEquals(new int[]{0, 1, 2}, r.kept());
        assertEquals(0, r.redundancy().length);
        assertArrayEquals(new int[]{2, 1}, r.keepBudgets());
    }

    /** CODE_COMPAT uses the official split, which can keep more than P_max (sizes [5,0,1,5], P_max 1 → 7 kept). */
    @Test
    void codeCompatSplitCanKeepMoreThanTheCap() {
        SplittableRandom rng = new SplittableRandom(3);
        float[][] rows = new float[11][4];
        for (float[] row : rows) for (int c = 0; c < 4; c++) row[c] = (float) rng.nextGaussian();
        int[] labels = {0, 0, 0, 0, 0, 2, 3, 3, 3, 3, 3};
        PermanentPruning.Result r = new PermanentPruning(1, BudgetSplit.Mode.CODE_COMPAT, 4, CPU).prune(labels, 4, new InMemoryVectors(rows));
        assertArrayEquals(new int[]{3, 0, 1, 3}, r.keepBudgets());
        assertEquals(7, r.kept().length);
        assertEquals(1, new PermanentPruning(1, BudgetSplit.Mode.EXACT_WATERFILL, 4, CPU).prune(labels, 4, new InMemoryVectors(rows)).kept().length);
    }

    @Test
    void invalidInputIsRefused() {
        VectorSource v = new InMemoryVectors(new float[][]{{1, 0}, {0, 1}});
        assertThrows(IllegalArgumentException.class, () -> new PermanentPruning(1).prune(new int[]{0}, 1, v));
        assertThrows(IllegalArgumentException.class, () -> new PermanentPruning(1).prune(new int[]{0, 2}, 2, v));
        assertThrows(IllegalArgumentException.class, () -> new PermanentPruning(-1));
        assertThrows(IllegalArgumentException.class, () -> new PermanentPruning(1, BudgetSplit.Mode.CODE_COMPAT, 0, CPU));
    }
}
