/*
 * BudgetSplit (docs/methods/adapt-inf.md §6.1): the spec's golden values of the official assign_budget_to_cluster, invariant
 * 12 in both modes, the defined behaviour where the official code divides by zero, and its overshoot.
 */
package dev.perennial.select;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.perennial.select.BudgetSplit.Mode.CODE_COMPAT;
import static dev.perennial.select.BudgetSplit.Mode.EXACT_WATERFILL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetSplitTest {

    /** Invariant 12 / §6.1 golden values, computed with the official function. */
    @Test
    void codeCompatReproducesTheGoldenValues() {
        assertArrayEquals(new int[]{5, 65, 65, 65}, BudgetSplit.split(new int[]{5, 100, 100, 100}, 200, CODE_COMPAT));
        assertArrayEquals(new int[]{10, 10, 10}, BudgetSplit.split(new int[]{100, 100, 100}, 30, CODE_COMPAT));
        assertArrayEquals(new int[]{1, 2, 49, 49}, BudgetSplit.split(new int[]{1, 2, 100, 100}, 100, CODE_COMPAT));
        assertArrayEquals(new int[]{49, 2, 49, 1}, BudgetSplit.split(new int[]{100, 2, 100, 1}, 100, CODE_COMPAT));
        // a larger case, also from the official function (numpy 2.4 here)
        assertArrayEquals(new int[]{23, 35, 26, 35, 17, 19, 0, 31, 35, 35, 14},
                BudgetSplit.split(new int[]{23, 52, 26, 37, 17, 19, 0, 31, 37, 40, 14}, 223, CODE_COMPAT));
    }

    /** Invariant 12: EXACT_WATERFILL hands out exactly min(B, N); the spec's example. */
    @Test
    void exactWaterfillGivesTheSpecExample() {
        assertArrayEquals(new int[]{1, 2, 49, 48}, BudgetSplit.split(new int[]{1, 2, 100, 100}, 100, EXACT_WATERFILL));
        assertArrayEquals(new int[]{5, 65, 65, 65}, BudgetSplit.split(new int[]{5, 100, 100, 100}, 200, EXACT_WATERFILL));
        assertArrayEquals(new int[]{34, 33, 33}, BudgetSplit.split(new int[]{100, 100, 100}, 100, EXACT_WATERFILL));
        assertArrayEquals(new int[]{0, 3, 0}, BudgetSplit.split(new int[]{0, 5, 0}, 3, EXACT_WATERFILL));
        assertArrayEquals(new int[]{0, 5, 2}, BudgetSplit.split(new int[]{0, 5, 2}, 50, EXACT_WATERFILL));
        assertArrayEquals(new int[]{0, 0}, BudgetSplit.split(new int[]{4, 9}, 0, EXACT_WATERFILL));
    }

    /** Invariant 12 on random cases: B_k ≤ |C_k| in both modes; Σ = min(B, N) and max-min fairness for EXACT. */
    @Test
    void randomCasesKeepTheInvariants() {
        SplittableRandom rng = new SplittableRandom(12);
        for (int t = 0; t < 3000; t++) {
            int k = 1 + rng.nextInt(12);
            int[] sizes = new int[k];
            int n = 0;
            for (int c = 0; c < k; c++) n += sizes[c] = rng.nextInt(rng.nextBoolean() ? 8 : 80);
            int budget = rng.nextInt(n + 20);
            int[] exact = BudgetSplit.split(sizes, budget, EXACT_WATERFILL);
            assertArrayEquals(greedyFair(sizes, budget), exact, () -> Arrays.toString(sizes) + " B=" + budget);
            assertEquals(Math.min(budget, n), Arrays.stream(exact).sum());
            int[] compat = BudgetSplit.split(sizes, budget, CODE_COMPAT);
            for (int c = 0; c < k; c++) {
                assertTrue(exact[c] >= 0 && exact[c] <= sizes[c]);
                assertTrue(compat[c] >= 0 && compat[c] <= sizes[c], () -> Arrays.toString(sizes) + " B=" + budget);
            }
            int smallest = Arrays.stream(sizes).min().orElseThrow();
            if ((long) smallest * k >= budget) {                         // invariant 12, CODE_COMPAT branch 1
                int share = (budget + k - 1) / k;
                for (int b : compat) assertEquals(share, b);
            }
        }
    }

    /** Reference for EXACT_WATERFILL: one unit at a time to the least-served unsaturated cluster, lowest id first. */
    private static int[] greedyFair(int[] sizes, int budget) {
        int[] out = new int[sizes.length];
        for (int unit = 0; unit < budget; unit++) {
            int best = -1;
            for (int c = 0; c < sizes.length; c++) {
                if (out[c] < sizes[c] && (best < 0 || out[c] < out[best])) best = c;
            }
            if (best < 0) break;
            out[best]++;
        }
        return out;
    }

    /**
     * Where the official code raises ZeroDivisionError (the largest cluster is still below the running share), the
     * last cluster gets its size: the update that divides by zero is never read.
     */
    @Test
    void codeCompatDivisionByZeroCasesGiveTheClusterSizes() {
        assertArrayEquals(new int[]{3, 3}, BudgetSplit.split(new int[]{3, 3}, 10, CODE_COMPAT));
        assertArrayEquals(new int[]{5}, BudgetSplit.split(new int[]{5}, 7, CODE_COMPAT));
        assertArrayEquals(new int[]{2, 0, 4}, BudgetSplit.split(new int[]{2, 0, 4}, 100, CODE_COMPAT));
        assertArrayEquals(new int[]{5}, BudgetSplit.split(new int[]{5}, 5, CODE_COMPAT));   // branch 1, K = 1
    }

    /** The official split can hand out far more than B (not only the ceilings' ≤ K): a documented quirk. */
    @Test
    void codeCompatCanOvershootByMoreThanK() {
        int[] out = BudgetSplit.split(new int[]{5, 0, 1, 5}, 1, CODE_COMPAT);
        assertArrayEquals(new int[]{3, 0, 1, 3}, out);
        assertTrue(Arrays.stream(out).sum() > 1 + 4);
        assertArrayEquals(new int[]{1, 0, 0, 0}, BudgetSplit.split(new int[]{5, 0, 1, 5}, 1, EXACT_WATERFILL));
    }

    @Test
    void invalidArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BudgetSplit.split(new int[0], 1, EXACT_WATERFILL));
        assertThrows(IllegalArgumentException.class, () -> BudgetSplit.split(new int[]{1}, -1, CODE_COMPAT));
        assertThrows(IllegalArgumentException.class, () -> BudgetSplit.split(new int[]{1, -2}, 1, EXACT_WATERFILL));
    }
}
