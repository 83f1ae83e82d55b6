/*
 * Sampling B_k members inside one cluster on the cluster's chosen score (docs/methods/adapt-inf.md §6.3). The default is
 * coverage-centric coreset selection (CCS; Zheng et al., ICLR 2023): trim both tails, cut the remaining score
 * range into equal-width strata, and spread the budget over the strata by water-filling, so that rare score
 * regions are covered instead of only the easy or the hard end. Every method works on one cluster's scores and
 * returns positions into that array, sorted ascending.
 *
 * CCS_FIXED (default), CCS as in the paper and D2-pruning's stratified_sampling:
 *   the finite scores, sorted: lo = v[⌊β_low·n⌋], hi = v[⌊(1 − β_high)·n⌋] (the code's thresholds; β = 0.05);
 *   eligible = lo < s ≤ hi. β_low = 0 means no low trim (eligible from the minimum on, inclusive), β_high = 0
 *   means hi = the maximum. Strata = `strata` (50) equal-width bins (lo + b·w, lo + (b+1)·w] (the lowest closed
 *   when β_low = 0). m = min(B_k, |eligible|); the non-empty strata sorted by size ascending (ties: stratum
 *   index) each get min(|stratum|, ⌈m_left / strata_left⌉), which hands out exactly m; each stratum draws its
 *   share uniformly without replacement. With fillFromTails (default off, as in the code), a shortfall
 *   |eligible| < B_k is topped up at random from the trimmed tails.
 * CODE_COMPAT, the official get_ccs_samples, for comparisons with the official scripts:
 *   right = hi; q = ⌈B/50⌉; remaining = B; for 50 strata from the top down, left = right − (hi − lo)/50 and the
 *   candidates are left < s ≤ right: fewer than q → take them all and q = ⌈(remaining − |cand|)/strata left⌉,
 *   remaining −= |cand| (not after the last stratum); otherwise take q at random and remaining −= q.
 *   So a non-empty stratum always gives at least one (scores 0..99, B = 20 → 50 items), the tails are never
 *   reachable (B = 95 → items 6..95), and q can go negative. Python then raises ValueError in
 *   random.sample(cand, k < 0). Defined here: a stratum with a negative quota gives nothing, and as q only
 *   changes after an under-filled stratum (impossible with q < 0), neither does any later one; the items taken
 *   so far (already more than B) are returned. Arithmetic as numpy with float64 scores (or float32 scores under
 *   numpy 1.x promotion): the boundaries are the doubles left_i = right_{i−1} − (hi − lo)/50. (Under numpy 2
 *   with float32 scores the boundaries drift in float32 and B = 95 yields 91 items, 5..95.) The random draws
 *   use our seeded generator, not Python's `random`. NaN scores are kept as NaN (the official code passes the
 *   raw scores to CCS): they sort last when lo and hi are read, and are never a candidate; so with 5% or more
 *   NaN, hi itself is NaN and the cluster selects nothing, as in the official code.
 * MIN: the B_k lowest finite scores (ties: lower position); the code's default without --ccs.
 * MID: the middle of the sorted finite scores, positions [⌊(n − m)/2⌋, … + m) with m = min(B_k, n). (The code
 *   slices [|n//2 − B//2| : −that], which returns ±1 item for odd n or B and nothing when the two halves are
 *   equal; not reproduced.)
 * RANDOM: min(B_k, n) members uniformly without replacement, scores ignored (the code draws with replacement).
 * In every mode but RANDOM and CODE_COMPAT, non-finite scores (NaN, ±∞) are missing values: never eligible,
 * and not part of the quantiles.
 */
package dev.perennial.select;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Samples up to a budget of members inside one cluster on the cluster's scores {@code [n]} and returns their positions,
 * ascending: coverage-centric selection ({@code CCS_FIXED}, the default: trimmed tails, equal-width strata filled by
 * water-filling), the official code's variant ({@code CODE_COMPAT}), or the lowest, middle or random members.
 * <p>Stateless; its static methods are safe to call from several threads, each with its own {@code SplittableRandom}.
 * Its {@code Config} record is immutable.
 */
public final class CoverageCentricSampling {
    private CoverageCentricSampling() {}

    public enum Mode { CCS_FIXED, CODE_COMPAT, MIN, MID, RANDOM }

    /**
     * @param strata        number of CCS strata (50)
     * @param trimLow       β_low, fraction of the low tail left out (CCS modes), in [0, 1)
     * @param trimHigh      β_high, fraction of the high tail left out (CCS modes), in [0, 1)
     * @param fillFromTails CCS_FIXED only: top up a shortfall from the trimmed tails
     */
    public record Config(Mode mode, int strata, double trimLow, double trimHigh, boolean fillFromTails) {
        public Config {
            if (mode == null) throw new IllegalArgumentException("mode must be set");
            if (strata < 1) throw new IllegalArgumentException("strata must be >= 1, got " + strata);
            if (!(trimLow >= 0 && trimLow < 1 && trimHigh >= 0 && trimHigh < 1 && trimLow + trimHigh < 1)) {
                throw new IllegalArgumentException("need 0 <= trims < 1 and trimLow + trimHigh < 1, got " + trimLow + ", " + trimHigh);
            }
        }

        /** CCS_FIXED, 50 strata, 5% trimmed from each tail, no fill from the tails. */
        public static Config defaults() { return new Config(Mode.CCS_FIXED, 50, 0.05, 0.05, false); }

        public Config withMode(Mode m) { return new Config(m, strata, trimLow, trimHigh, fillFromTails); }
        public Config withStrata(int s) { return new Config(mode, s, trimLow, trimHigh, fillFromTails); }
        public Config withTrims(double low, double high) { return new Config(mode, strata, low, high, fillFromTails); }
        public Config withFillFromTails(boolean f) { return new Config(mode, strata, trimLow, trimHigh, f); }
    }

    /** Positions (sorted) of the members that {@code sample} may return without fillFromTails. */
    public static int[] eligible(float[] scores, Config config) {
        return switch (config.mode()) {
            case RANDOM -> IntStream.range(0, scores.length).toArray();
            case MIN, MID -> finitePositions(scores);
            case CCS_FIXED -> ccsRange(scores, config).eligible();
            case CODE_COMPAT -> codeCompatEligible(scores, config);
        };
    }

    /** Positions (sorted) of the members selected for a cluster budget of {@code budget} (≥ 0). */
    public static int[] sample(float[] scores, int budget, Config config, SplittableRandom rng) {
        if (budget < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budget);
        int[] out = switch (config.mode()) {
            case CCS_FIXED -> ccsFixed(scores, budget, config, rng);
            case CODE_COMPAT -> codeCompat(scores, budget, config, rng);
            case MIN -> {
                int[] order = sortedFinite(scores);
                yield Arrays.copyOf(order, Math.min(budget, order.length));
            }
            case MID -> {
                int[] order = sortedFinite(scores);
                int m = Math.min(budget, order.length), start = (order.length - m) / 2;
                yield Arrays.copyOfRange(order, start, start + m);
            }
            case RANDOM -> draw(IntStream.range(0, scores.length).toArray(), budget, rng);
        };
        Arrays.sort(out);
        return out;
    }

    // ------------------------------------------------------------------------------------------- CCS_FIXED

    /** The trimmed range: eligible positions (ascending), the stratum of each, and the finite trimmed ones. */
    private record Range(int[] eligible, int[] stratum, int[] tails) {}

    private static Range ccsRange(float[] scores, Config config) {
        int[] finite = finitePositions(scores);
        int n = finite.length;
        if (n == 0) return new Range(new int[0], new int[0], new int[0]);
        double[] sorted = new double[n];
        for (int i = 0; i < n; i++) sorted[i] = scores[finite[i]];
        Arrays.sort(sorted);
        boolean trimLow = config.trimLow() > 0;
        double lo = trimLow ? sorted[(int) (config.trimLow() * n)] : sorted[0];
        double hi = config.trimHigh() > 0 ? sorted[Math.min(n - 1, (int) ((1 - config.trimHigh()) * n))] : sorted[n - 1];
        double width = (hi - lo) / config.strata();
        List<Integer> eligible = new ArrayList<>(), tails = new ArrayList<>();
        for (int p : finite) {
            double s = scores[p];
            if ((trimLow ? s > lo : s >= lo) && s <= hi) eligible.add(p); else tails.add(p);
        }
        int[] e = eligible.stream().mapToInt(Integer::intValue).toArray();
        int[] stratum = new int[e.length];
        for (int i = 0; i < e.length; i++) {
            int b = width > 0 ? (int) Math.ceil((scores[e[i]] - lo) / width) - 1 : 0;
            stratum[i] = Math.max(0, Math.min(config.strata() - 1, b));
        }
        return new Range(e, stratum, tails.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int[] ccsFixed(float[] scores, int budget, Config config, SplittableRandom rng) {
        Range range = ccsRange(scores, config);
        int[] e = range.eligible();
        List<List<Integer>> strata = new ArrayList<>();
        for (int b = 0; b < config.strata(); b++) strata.add(new ArrayList<>());
        for (int i = 0; i < e.length; i++) strata.get(range.stratum()[i]).add(e[i]);
        int[] alloc = waterfill(strata, Math.min(budget, e.length));
        List<Integer> out = new ArrayList<>();
        for (int b = 0; b < strata.size(); b++) {
            for (int p : draw(strata.get(b).stream().mapToInt(Integer::intValue).toArray(), alloc[b], rng)) out.add(p);
        }
        if (config.fillFromTails() && e.length < budget) {
            for (int p : draw(range.tails(), budget - e.length, rng)) out.add(p);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** CCS allocation: smallest non-empty strata first, each min(size, ⌈m_left / strata_left⌉); Σ = m. */
    private static int[] waterfill(List<List<Integer>> strata, int m) {
        Integer[] order = IntStream.range(0, strata.size()).filter(b -> !strata.get(b).isEmpty()).boxed()
                .sorted(Comparator.<Integer>comparingInt(b -> strata.get(b).size()).thenComparingInt(b -> b))
                .toArray(Integer[]::new);
        int[] alloc = new int[strata.size()];
        int left = m;
        for (int i = 0; i < order.length; i++) {
            int b = order[i], share = -Math.floorDiv(-left, order.length - i);
            alloc[b] = Math.min(strata.get(b).size(), share);
            left -= alloc[b];
        }
        if (left != 0) throw new IllegalStateException("water-filling left " + left + " units");   // cannot happen: m ≤ Σ sizes
        return alloc;
    }

    // ------------------------------------------------------------------------------------------- CODE_COMPAT

    /**
     * set_outlier_threshold: numpy-sorted raw scores (NaN last), values at ranks int(n·0.05) and int(n·0.95)
     * (with other trims, int(n·β_low) and int(n·(1 − β_high)), the latter capped at n − 1 where Python would
     * index past the end).
     */
    private static double[] codeThresholds(float[] scores, Config config) {
        int n = scores.length;
        double[] sorted = new double[n];
        for (int i = 0; i < n; i++) sorted[i] = scores[i];
        Arrays.sort(sorted);                                              // NaN last, as np.sort
        return new double[]{sorted[(int) (n * config.trimLow())], sorted[Math.min(n - 1, (int) (n * (1 - config.trimHigh())))]};
    }

    private static int[] codeCompatEligible(float[] scores, Config config) {
        if (scores.length == 0) return new int[0];
        double[] t = codeThresholds(scores, config);
        double hi = t[1], left = hi;
        for (int i = 0; i < config.strata(); i++) left = left - (hi - t[0]) / config.strata();
        double bottom = left;                                             // the strata cover (bottom, hi]
        return IntStream.range(0, scores.length).filter(j -> scores[j] > bottom && scores[j] <= hi).toArray();
    }

    private static int[] codeCompat(float[] scores, int budget, Config config, SplittableRandom rng) {
        if (scores.length == 0) return new int[0];
        double[] t = codeThresholds(scores, config);
        double lo = t[0], hi = t[1], right = hi;
        int bins = config.strata();
        long remaining = budget;
        long quota = (long) Math.ceil((double) budget / bins);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < bins; i++) {
            double left = right - (hi - lo) / bins, r = right;
            int[] cand = IntStream.range(0, scores.length).filter(j -> scores[j] > left && scores[j] <= r).toArray();
            if (cand.length < quota) {
                for (int p : cand) out.add(p);
                if (i + 1 < bins) {
                    quota = (long) Math.ceil((double) (remaining - cand.length) / (bins - (i + 1)));
                    remaining -= cand.length;
                }
            } else if (quota > 0) {                                       // quota < 0: Python raises; we take none
                for (int p : draw(cand, (int) quota, rng)) out.add(p);
                remaining -= quota;
            }
            right = left;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static int[] finitePositions(float[] scores) {
        return IntStream.range(0, scores.length).filter(j -> Float.isFinite(scores[j])).toArray();
    }

    /** Finite positions by ascending score, ties by position. */
    private static int[] sortedFinite(float[] scores) {
        return IntStream.range(0, scores.length).filter(j -> Float.isFinite(scores[j])).boxed()
                .sorted((a, b) -> scores[a] < scores[b] ? -1 : scores[a] > scores[b] ? 1 : Integer.compare(a, b))
                .mapToInt(Integer::intValue).toArray();
    }

    /** min(k, |from|) distinct elements of {@code from}, uniformly at random (partial Fisher–Yates on a copy). */
    static int[] draw(int[] from, int k, SplittableRandom rng) {
        int[] a = from.clone();
        int take = Math.max(0, Math.min(k, a.length));
        for (int i = 0; i < take; i++) {
            int j = i + rng.nextInt(a.length - i);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
        return Arrays.copyOf(a, take);
    }
}
