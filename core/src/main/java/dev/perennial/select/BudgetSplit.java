/*
 * Splitting a budget B across K clusters of sizes |C_k| (docs/methods/adapt-inf.md §6.1): the training budget of a step in
 * multi-way selection and, with B = P_max, the pool budget of permanent pruning (§7.1). Both modes give
 * B_k ≤ |C_k|.
 *
 * EXACT_WATERFILL (default, the spec's recommendation): B_k = min(|C_k|, λ) with the largest integer λ such
 * that Σ_k B_k ≤ B; the B − Σ B_k units left over go one each to the unsaturated clusters (|C_k| > λ) in
 * ascending cluster id. Then Σ B_k = min(B, N) exactly, e.g. sizes [1,2,100,100], B = 100 → [1,2,49,48].
 *
 * CODE_COMPAT: the official assign_budget_to_cluster (adapt-inf.py, default path), line by line:
 *   if min|C_k|·K ≥ B: every cluster gets ⌈B/K⌉
 *   else, q = ⌈B/K⌉, clusters by ascending size (a stable sort; the order among equal sizes cannot change the
 *   result): a cluster smaller than q gets its size and q grows by ⌈(q − |C_k|)/(clusters left after it)⌉;
 *   any other cluster gets q.
 * It can hand out more than B: the ceilings, and the growth of q compounding over small clusters — sizes
 * [5,0,1,5], B = 1 → [3,0,1,3] (7 units for a budget of 1), so "at most B + K" is not a bound either.
 * Where the official code divides by zero (the largest cluster is still smaller than the running share q, so it
 * computes q's update over 0 clusters left; e.g. sizes [3,3], B = 10), we skip that update: its result would
 * never be read, the cluster has already been given its size. So the division-by-zero cases return what the
 * code would return without the crash ([3,3] here). The official code reads the global args.n_clusters for the
 * first branch; here K is always sizes.length. Integer ceilings are exact (Python's go through a float
 * quotient, which only differs beyond 2^53).
 */
package dev.perennial.select;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Splits a budget B (in samples) over K clusters of given sizes, no share above its cluster's size:
 * {@code EXACT_WATERFILL} (the default) hands out exactly min(B, N) by water-filling, and {@code CODE_COMPAT}
 * reproduces the official {@code assign_budget_to_cluster}, which can hand out more than B.
 * <p>Stateless; its static methods are safe to call from several threads.
 */
public final class BudgetSplit {
    private BudgetSplit() {}

    public enum Mode { EXACT_WATERFILL, CODE_COMPAT }

    /**
     * Per-cluster budgets for clusters of the given sizes (K = sizes.length ≥ 1, sizes ≥ 0, empty clusters
     * allowed) and a total budget ≥ 0.
     */
    public static int[] split(int[] sizes, int budget, Mode mode) {
        if (sizes.length == 0) throw new IllegalArgumentException("need at least one cluster");
        if (budget < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budget);
        for (int k = 0; k < sizes.length; k++) {
            if (sizes[k] < 0) throw new IllegalArgumentException("cluster " + k + " has negative size " + sizes[k]);
        }
        return switch (mode) {
            case EXACT_WATERFILL -> waterfill(sizes, budget);
            case CODE_COMPAT -> codeCompat(sizes, budget);
        };
    }

    private static int[] waterfill(int[] sizes, int budget) {
        long total = 0;
        int largest = 0;
        for (int s : sizes) {
            total += s;
            largest = Math.max(largest, s);
        }
        if (budget >= total) return sizes.clone();
        // Largest λ in [0, largest) with Σ min(|C_k|, λ) ≤ B (λ = largest would give the whole pool, > B).
        int lo = 0, hi = largest - 1;
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) >>> 1);
            if (filled(sizes, mid) <= budget) lo = mid; else hi = mid - 1;
        }
        int lambda = lo;
        int[] out = new int[sizes.length];
        long given = 0;
        for (int k = 0; k < sizes.length; k++) {
            out[k] = Math.min(sizes[k], lambda);
            given += out[k];
        }
        // Fewer units are left than unsaturated clusters, since λ + 1 would overshoot.
        for (int k = 0; k < sizes.length && given < budget; k++) {
            if (sizes[k] > lambda) {
                out[k]++;
                given++;
            }
        }
        return out;
    }

    /** Σ_k min(|C_k|, λ). */
    private static long filled(int[] sizes, int lambda) {
        long sum = 0;
        for (int s : sizes) sum += Math.min(s, lambda);
        return sum;
    }

    private static int[] codeCompat(int[] sizes, int budget) {
        int k = sizes.length;
        int smallest = Arrays.stream(sizes).min().orElseThrow();
        if ((long) smallest * k >= budget) {
            int[] out = new int[k];
            Arrays.fill(out, ceilDiv(budget, k));
            return out;
        }
        Integer[] order = IntStream.range(0, k).boxed().sorted(Comparator.comparingInt(c -> sizes[c])).toArray(Integer[]::new);
        int[] out = new int[k];
        long share = ceilDiv(budget, k);
        for (int i = 0; i < k; i++) {
            int c = order[i];
            if (sizes[c] < share) {
                out[c] = sizes[c];
                int left = k - i - 1;
                if (left > 0) share += ceilDiv(share - sizes[c], left);   // left == 0: the code divides by zero
            } else {
                out[c] = (int) share;                                       // share ≤ sizes[c], an int
            }
        }
        return out;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private static int ceilDiv(int a, int b) {
        return (int) ceilDiv((long) a, (long) b);
    }
}
