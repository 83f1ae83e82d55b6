/*
 * CoverageCentricSampling (docs/methods/adapt-inf.md §6.3): invariant 14 for CCS_FIXED (subset of the eligible members, no
 * duplicates, |sel| = min(B_k, |eligible|), all-or-floor-share per stratum, reproducible), the CODE_COMPAT golden
 * cases and its defined behaviour where the official code crashes, and the MIN / MID / RANDOM modes.
 */
package dev.perennial.select;

import dev.perennial.select.CoverageCentricSampling.Config;
import dev.perennial.select.CoverageCentricSampling.Mode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoverageCentricSamplingTest {

    private static final Config FIXED = Config.defaults();
    private static final Config COMPAT = Config.defaults().withMode(Mode.CODE_COMPAT);

    private static float[] zeroTo99() {
        float[] s = new float[100];
        for (int i = 0; i < s.length; i++) s[i] = i;
        return s;
    }

    /** Invariant 14 / §6.3 golden: the official CCS on scores 0..99 with B = 20 returns 50 items, all in [6, 95]. */
    @Test
    void codeCompatOverSelectsOnePerStratum() {
        for (long seed = 0; seed < 5; seed++) {
            int[] sel = CoverageCentricSampling.sample(zeroTo99(), 20, COMPAT, new SplittableRandom(seed));
            assertEquals(50, sel.length);
            assertEquals(50, Arrays.stream(sel).distinct().count());
            for (int i : sel) assertTrue(i >= 6 && i <= 95, "item " + i);
        }
    }

    /** Invariant 14 / §6.3 golden: B = 95 → exactly items 6..95 (the tails are never reachable). */
    @Test
    void codeCompatNeverReachesTheTails() {
        int[] sel = CoverageCentricSampling.sample(zeroTo99(), 95, COMPAT, new SplittableRandom(1));
        assertArrayEquals(IntStream.rangeClosed(6, 95).toArray(), sel);
        assertArrayEquals(IntStream.rangeClosed(6, 95).toArray(), CoverageCentricSampling.eligible(zeroTo99(), COMPAT));
    }

    /**
     * Where the official code asks random.sample for a negative k (ValueError): scores 0..99 with 14..18 set to 0,
     * B = 1. 40 strata above the gap give one item each, the empty stratum sets the quota to ⌈−39/9⌉ = −4, and from
     * then on nothing is taken (the official code patched with max(0, k) returns the same 40 items).
     */
    @Test
    void codeCompatNegativeQuotaTakesNothingMore() {
        float[] s = zeroTo99();
        for (int i = 14; i <= 18; i++) s[i] = 0;
        int[] sel = CoverageCentricSampling.sample(s, 1, COMPAT, new SplittableRandom(3));
        assertEquals(40, sel.length);
        for (int i : sel) assertTrue(i >= 19, "item " + i);
    }

    /**
     * CODE_COMPAT keeps NaN raw, as the official code: NaN sorts last when lo and hi are read and is never a
     * candidate. With 4% NaN (positions 0, 30, 60, 90) lo = 6, hi = 99; with 12% NaN hi itself is NaN and the
     * cluster selects nothing (both checked against the official function with float64 scores).
     */
    @Test
    void codeCompatNaNScores() {
        float[] s = zeroTo99();
        for (int i = 0; i < 100; i += 30) s[i] = Float.NaN;
        int[] expected = IntStream.rangeClosed(7, 99).filter(i -> i % 30 != 0).toArray();
        assertArrayEquals(expected, CoverageCentricSampling.sample(s, 200, COMPAT, new SplittableRandom(4)));
        for (int i = 0; i < 100; i += 9) s[i] = Float.NaN;
        assertEquals(0, CoverageCentricSampling.sample(s, 200, COMPAT, new SplittableRandom(4)).length);
    }

    /** Invariant 14 on random clusters (with NaN, ties and skew): subset, distinct, exact size, strata shares, seed. */
    @Test
    void ccsFixedKeepsInvariant14() {
        SplittableRandom data = new SplittableRandom(14);
        for (int t = 0; t < 200; t++) {
            int n = 1 + data.nextInt(600);
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                double u = data.nextDouble();
                s[i] = u < 0.03 ? Float.NaN : u < 0.2 ? 7f : (float) Math.exp(2 * data.nextGaussian());
            }
            int budget = data.nextInt(n + 10);
            Config config = t % 3 == 0 ? FIXED.withStrata(1 + data.nextInt(60)) : FIXED;
            int[] eligible = CoverageCentricSampling.eligible(s, config);
            assertArrayEquals(expectedEligible(s, 0.05, 0.05), eligible);
            int[] sel = CoverageCentricSampling.sample(s, budget, config, new SplittableRandom(t));
            assertEquals(Math.min(budget, eligible.length), sel.length);
            assertEquals(sel.length, Arrays.stream(sel).distinct().count());
            for (int i = 1; i < sel.length; i++) assertTrue(sel[i - 1] < sel[i]);
            for (int i : sel) assertTrue(Arrays.binarySearch(eligible, i) >= 0);
            checkStrataShares(s, eligible, sel, config.strata());
            assertArrayEquals(sel, CoverageCentricSampling.sample(s, budget, config, new SplittableRandom(t)));
        }
    }

    /** The finite scores, ascending. */
    private static float[] finiteSorted(float[] s) {
        float[] f = new float[s.length];
        int n = 0;
        for (float v : s) if (Float.isFinite(v)) f[n++] = v;
        f = Arrays.copyOf(f, n);
        Arrays.sort(f);
        return f;
    }

    /** Eligible = lo < s ≤ hi with lo, hi the finite values at ranks ⌊β·n⌋ and ⌊(1 − β)·n⌋. */
    private static int[] expectedEligible(float[] s, double low, double high) {
        float[] sorted = finiteSorted(s);
        int n = sorted.length;
        if (n == 0) return new int[0];
        float lo = sorted[(int) (low * n)], hi = sorted[Math.min(n - 1, (int) ((1 - high) * n))];
        return IntStream.range(0, s.length).filter(i -> Float.isFinite(s[i]) && s[i] > lo && s[i] <= hi).toArray();
    }

    /** Every non-empty stratum gets all its members or at least ⌊m / (non-empty strata)⌋. */
    private static void checkStrataShares(float[] s, int[] eligible, int[] sel, int strata) {
        if (eligible.length == 0) return;
        float[] sorted = finiteSorted(s);
        int n = sorted.length;
        double lo = sorted[(int) (0.05 * n)], hi = sorted[Math.min(n - 1, (int) (0.95 * n))];
        double w = (hi - lo) / strata;
        Map<Integer, Integer> size = new HashMap<>(), taken = new HashMap<>();
        for (int i : eligible) size.merge(stratum(s[i], lo, w, strata), 1, Integer::sum);
        for (int i : sel) taken.merge(stratum(s[i], lo, w, strata), 1, Integer::sum);
        int floor = sel.length / size.size();
        for (Map.Entry<Integer, Integer> e : size.entrySet()) {
            int got = taken.getOrDefault(e.getKey(), 0);
            assertTrue(got == e.getValue() || got >= floor, "stratum " + e.getKey() + ": " + got + " of " + e.getValue() + ", floor " + floor);
        }
    }

    private static int stratum(double v, double lo, double w, int strata) {
        int b = w > 0 ? (int) Math.ceil((v - lo) / w) - 1 : 0;
        return Math.max(0, Math.min(strata - 1, b));
    }

    /** On 0..99 the fixed CCS has the same eligible range as the code, but takes exactly B, one per stratum for B = 50. */
    @Test
    void ccsFixedTakesExactlyTheBudget() {
        assertArrayEquals(IntStream.rangeClosed(6, 95).toArray(), CoverageCentricSampling.eligible(zeroTo99(), FIXED));
        assertEquals(20, CoverageCentricSampling.sample(zeroTo99(), 20, FIXED, new SplittableRandom(0)).length);
        int[] fifty = CoverageCentricSampling.sample(zeroTo99(), 50, FIXED, new SplittableRandom(0));
        boolean[] used = new boolean[50];
        for (int i : fifty) {
            int b = stratum(i, 5, 1.8, 50);
            assertTrue(!used[b], "two items from stratum " + b);
            used[b] = true;
        }
        assertArrayEquals(IntStream.rangeClosed(6, 95).toArray(), CoverageCentricSampling.sample(zeroTo99(), 95, FIXED, new SplittableRandom(0)));
    }

    @Test
    void fillFromTailsTopsUpAShortfall() {
        Config fill = FIXED.withFillFromTails(true);
        int[] sel = CoverageCentricSampling.sample(zeroTo99(), 95, fill, new SplittableRandom(2));
        assertEquals(95, sel.length);
        for (int i = 6; i <= 95; i++) assertTrue(Arrays.binarySearch(sel, i) >= 0);
        assertArrayEquals(IntStream.range(0, 100).toArray(), CoverageCentricSampling.sample(zeroTo99(), 500, fill, new SplittableRandom(2)));
    }

    @Test
    void zeroTrimsMakeEveryFiniteScoreEligible() {
        float[] s = zeroTo99();
        s[50] = Float.NaN;
        int[] eligible = CoverageCentricSampling.eligible(s, FIXED.withTrims(0, 0));
        assertEquals(99, eligible.length);
        assertEquals(99, CoverageCentricSampling.sample(s, 100, FIXED.withTrims(0, 0), new SplittableRandom(0)).length);
        assertArrayEquals(IntStream.rangeClosed(0, 95).filter(i -> i != 50).toArray(), CoverageCentricSampling.eligible(s, FIXED.withTrims(0, 0.05)));
    }

    @Test
    void minMidAndRandomModes() {
        float[] s = {5, 1, Float.NaN, 3, 1, 9, 0, 7};
        assertArrayEquals(new int[]{1, 4, 6}, CoverageCentricSampling.sample(s, 3, FIXED.withMode(Mode.MIN), new SplittableRandom(0)));
        assertArrayEquals(new int[]{0, 1, 3, 4, 5, 6, 7}, CoverageCentricSampling.sample(s, 50, FIXED.withMode(Mode.MIN), new SplittableRandom(0)));
        // sorted finite: 6(0) 1(1) 4(1) 3(3) 0(5) 7(7) 5(9); m = 3 → start 2 → positions 4, 3, 0
        assertArrayEquals(new int[]{0, 3, 4}, CoverageCentricSampling.sample(s, 3, FIXED.withMode(Mode.MID), new SplittableRandom(0)));
        assertArrayEquals(new int[]{0, 1, 3, 4}, CoverageCentricSampling.sample(s, 4, FIXED.withMode(Mode.MID), new SplittableRandom(0)));
        Config random = FIXED.withMode(Mode.RANDOM);
        int[] r = CoverageCentricSampling.sample(s, 5, random, new SplittableRandom(9));
        assertEquals(5, Arrays.stream(r).distinct().count());
        assertArrayEquals(r, CoverageCentricSampling.sample(s, 5, random, new SplittableRandom(9)));
        assertArrayEquals(IntStream.range(0, 8).toArray(), CoverageCentricSampling.sample(s, 20, random, new SplittableRandom(9)));
        assertArrayEquals(IntStream.range(0, 8).toArray(), CoverageCentricSampling.eligible(s, random));
    }

    @Test
    void emptyInputsAndInvalidArguments() {
        for (Mode m : Mode.values()) {
            assertEquals(0, CoverageCentricSampling.sample(new float[0], 5, FIXED.withMode(m), new SplittableRandom(0)).length);
            assertEquals(0, CoverageCentricSampling.sample(zeroTo99(), 0, FIXED.withMode(m), new SplittableRandom(0)).length);
            assertEquals(0, CoverageCentricSampling.eligible(new float[0], FIXED.withMode(m)).length);
        }
        assertThrows(IllegalArgumentException.class, () -> CoverageCentricSampling.sample(zeroTo99(), -1, FIXED, new SplittableRandom(0)));
        assertThrows(IllegalArgumentException.class, () -> FIXED.withStrata(0));
        assertThrows(IllegalArgumentException.class, () -> FIXED.withTrims(0.5, 0.5));
        assertThrows(IllegalArgumentException.class, () -> FIXED.withTrims(-0.1, 0));
    }
}
