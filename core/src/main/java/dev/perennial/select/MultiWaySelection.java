/*
 * Multi-way data selection of one ADAPT-∞ step (docs/methods/adapt-inf.md §6.4 and Appendix A): split the budget B over
 * the pseudo-task clusters (BudgetSplit, §6.1), let every cluster pick the scoring function whose histogram is
 * the most spread out (ExpertEntropy, §6.2), and sample the cluster's share on that score
 * (CoverageCentricSampling, §6.3). Different clusters may pick different experts: that is the "multi-way" part.
 *
 * Baselines share the API: RANDOM (B uniformly from the whole pool, without replacement), RANDOM_PER_CLUSTER
 * (the budget split, then uniform inside each cluster) and SINGLE_SCORE (one named scorer in every cluster,
 * sampled with the configured in-cluster mode; the static score-based pruning baselines).
 *
 * Missing scores. The scorers' NaN and ±∞ values are counted per scorer (Selection.nonFiniteScores, logged).
 * Default modes: a non-finite score is a missing value. It is left out of that expert's entropy histogram, and
 * a sample whose chosen-expert score is missing is not eligible for the score-based strata (CCS/MIN/MID), so
 * the cluster may select fewer than B_k; it stays in the pool and can be picked at a later step. (Imputing it,
 * e.g. as 0 like nan_to_num, would put it in an arbitrary stratum.) CODE_COMPAT modes do what the official code
 * does: the entropy sees nan_to_num(scores), the sampling sees the raw scores, where NaN sorts last when the
 * CCS thresholds are read and never falls inside a stratum (with ≥ 5% NaN the cluster selects nothing).
 *
 * Edge cases: an empty cluster (possible when K > N or labels skip an id) gets B_k = 0, no expert, and no
 * entropies; a budget larger than the pool gives every cluster B_k = |C_k| under EXACT_WATERFILL, so CCS takes
 * every eligible member (the trimmed tails only with fillFromTails) and RANDOM takes the whole pool; labels
 * outside [0, K) or score arrays of another length than the labels are errors.
 *
 * Randomness: cluster k draws from a generator seeded by mix(seed, k) and RANDOM from mix(seed, −1), so a change
 * in one cluster never shifts the draws of another, and a fixed seed reproduces the selection. Callers fold the
 * step index t into the seed (Appendix A: rng(seed, t, k)).
 */
package dev.perennial.select;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Multi-way data selection of one ADAPT-∞ step: splits a budget B (in samples) over the clusters, lets each cluster
 * pick the scorer whose histogram has the largest entropy, and samples its share on that score; {@code SINGLE_SCORE},
 * {@code RANDOM_PER_CLUSTER} and {@code RANDOM} are baselines. Inputs are labels {@code [N]} and scores {@code [N]} per
 * scorer; draws are seeded per cluster.
 * <p>Stateless; its static methods are safe to call from several threads. Its {@code Config} record is immutable.
 */
public final class MultiWaySelection {
    private static final Logger log = LoggerFactory.getLogger(MultiWaySelection.class);

    private MultiWaySelection() {}

    public enum Strategy { MULTI_WAY, SINGLE_SCORE, RANDOM_PER_CLUSTER, RANDOM }

    /**
     * @param scorer SINGLE_SCORE only: the scorer used in every cluster
     * @param seed   base seed of every random draw (fold the step index in)
     */
    public record Config(Strategy strategy, BudgetSplit.Mode budgetSplit, ExpertEntropy.Mode entropy,
                         CoverageCentricSampling.Config sampling, String scorer, long seed) {
        public Config {
            if (strategy == null || budgetSplit == null || entropy == null || sampling == null) {
                throw new IllegalArgumentException("strategy, budget split, entropy and sampling modes must be set");
            }
            if (strategy == Strategy.SINGLE_SCORE && scorer == null) throw new IllegalArgumentException("SINGLE_SCORE needs a scorer name");
        }

        /** ADAPT-∞ as recommended: MULTI_WAY, EXACT_WATERFILL, STANDARDIZED entropy, CCS_FIXED (50 strata, 5% trims), seed 0. */
        public static Config defaults() {
            return new Config(Strategy.MULTI_WAY, BudgetSplit.Mode.EXACT_WATERFILL, ExpertEntropy.Mode.STANDARDIZED,
                    CoverageCentricSampling.Config.defaults(), null, 0);
        }

        /** The official script's path (--mwp --ccs): every mode CODE_COMPAT. */
        public static Config codeCompat() {
            return new Config(Strategy.MULTI_WAY, BudgetSplit.Mode.CODE_COMPAT, ExpertEntropy.Mode.CODE_COMPAT,
                    CoverageCentricSampling.Config.defaults().withMode(CoverageCentricSampling.Mode.CODE_COMPAT), null, 0);
        }

        public Config withStrategy(Strategy s) { return new Config(s, budgetSplit, entropy, sampling, scorer, seed); }
        public Config withBudgetSplit(BudgetSplit.Mode m) { return new Config(strategy, m, entropy, sampling, scorer, seed); }
        public Config withEntropy(ExpertEntropy.Mode m) { return new Config(strategy, budgetSplit, m, sampling, scorer, seed); }
        public Config withSampling(CoverageCentricSampling.Config c) { return new Config(strategy, budgetSplit, entropy, c, scorer, seed); }
        public Config withScorer(String name) { return new Config(strategy, budgetSplit, entropy, sampling, name, seed); }
        public Config withSeed(long s) { return new Config(strategy, budgetSplit, entropy, sampling, scorer, s); }

        /** SINGLE_SCORE on {@code name}. */
        public Config singleScore(String name) { return new Config(Strategy.SINGLE_SCORE, budgetSplit, entropy, sampling, name, seed); }
    }

    /**
     * Selects about B pool samples.
     * @param labels  cluster id of every pool sample, in [0, clusters)
     * @param clusters K ≥ 1
     * @param scores  scorer name → one score per pool sample; the map's iteration order is the expert order
     *                (ties go to the earlier scorer), so pass an ordered map
     * @param budget  B ≥ 0
     */
    public static Selection select(int[] labels, int clusters, Map<String, float[]> scores, int budget, Config config) {
        int n = labels.length;
        if (clusters < 1) throw new IllegalArgumentException("need K >= 1 clusters, got " + clusters);
        if (budget < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budget);
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= clusters) {
                throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + " outside [0, " + clusters + ")");
            }
        }
        List<String> names = new ArrayList<>(scores.keySet());
        Map<String, Integer> nonFinite = new LinkedHashMap<>();
        for (String name : names) {
            float[] s = scores.get(name);
            if (s.length != n) {
                throw new IllegalArgumentException("scorer '" + name + "' has " + s.length + " scores for " + n + " samples");
            }
            int bad = 0;
            for (float v : s) if (!Float.isFinite(v)) bad++;
            nonFinite.put(name, bad);
            if (bad > 0) log.warn("scorer '{}': {} of {} scores are NaN or infinite", name, bad, n);
        }
        if (config.strategy() == Strategy.MULTI_WAY && names.isEmpty()) {
            throw new IllegalArgumentException("MULTI_WAY needs at least one scorer");
        }
        if (config.strategy() == Strategy.SINGLE_SCORE && !scores.containsKey(config.scorer())) {
            throw new IllegalArgumentException("unknown scorer '" + config.scorer() + "', have " + names);
        }

        int[][] members = members(labels, clusters);
        int[] sizes = Arrays.stream(members).mapToInt(m -> m.length).toArray();
        List<Selection.ClusterReport> reports = new ArrayList<>();
        int[] selected;
        if (config.strategy() == Strategy.RANDOM) {
            selected = CoverageCentricSampling.draw(IntStream.range(0, n).toArray(), budget, new SplittableRandom(mix(config.seed(), -1)));
            Arrays.sort(selected);
            int[] perCluster = new int[clusters];
            for (int i : selected) perCluster[labels[i]]++;
            for (int k = 0; k < clusters; k++) {
                reports.add(new Selection.ClusterReport(k, sizes[k], null, null, Map.of(), sizes[k], perCluster[k]));
            }
        } else {
            int[] budgets = BudgetSplit.split(sizes, budget, config.budgetSplit());
            List<Integer> chosen = new ArrayList<>();
            for (int k = 0; k < clusters; k++) {
                int[] member = members[k];
                Map<String, float[]> memberScores = new LinkedHashMap<>();
                for (String name : names) memberScores.put(name, gather(scores.get(name), member));
                ClusterPick pick = selectCluster(k, member, memberScores, budgets[k], config);
                for (int p : pick.selected()) chosen.add(p);
                reports.add(pick.report());
            }
            selected = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
        }
        log.info("{} selection: {} of {} samples in {} clusters for a budget of {}", config.strategy(), selected.length, n,
                clusters, budget);
        return new Selection(selected, budget, Collections.unmodifiableList(reports), Collections.unmodifiableMap(nonFinite));
    }

    /**
     * One cluster's part of a MULTI_WAY, SINGLE_SCORE or RANDOM_PER_CLUSTER selection.
     * @param selected the chosen members' pool positions (members[i] for the chosen i, in sampling order)
     */
    public record ClusterPick(int[] selected, Selection.ClusterReport report) {}

    /**
     * Cluster k's expert, entropies and sample of its budget share, as {@link #select} computes it: the result depends
     * only on these arguments (its random draws come from mix(config.seed(), k)), so a cluster selected on another
     * machine (perennial-spark's executors) gives the same pick.
     * @param member  the cluster's pool positions, ascending (pool order)
     * @param scores  scorer name → the members' scores (aligned with member); iteration order = expert order
     * @param budget  B_k, the cluster's share of the budget (BudgetSplit over all clusters' sizes)
     */
    public static ClusterPick selectCluster(int k, int[] member, Map<String, float[]> scores, int budget, Config config) {
        if (config.strategy() == Strategy.RANDOM) throw new IllegalArgumentException("RANDOM selection is not per cluster");
        boolean scoreBased = config.strategy() != Strategy.RANDOM_PER_CLUSTER;
        SplittableRandom rng = new SplittableRandom(mix(config.seed(), k));
        if (!scoreBased || member.length == 0) {
            int[] pick = scoreBased ? new int[0] : CoverageCentricSampling.draw(member, budget, rng);
            return new ClusterPick(pick, new Selection.ClusterReport(k, member.length, budget, null, Map.of(), member.length, pick.length));
        }
        List<String> names = new ArrayList<>(scores.keySet());
        Map<String, Double> entropies = new LinkedHashMap<>();
        double[] h = new double[names.size()];
        for (int e = 0; e < names.size(); e++) {
            float[] s = scores.get(names.get(e));
            if (s.length != member.length) {
                throw new IllegalArgumentException("scorer '" + names.get(e) + "' has " + s.length + " scores for cluster " + k
                        + "'s " + member.length + " members");
            }
            h[e] = ExpertEntropy.entropyBits(s, config.entropy());
            entropies.put(names.get(e), h[e]);
        }
        String expert = config.strategy() == Strategy.SINGLE_SCORE ? config.scorer() : names.get(ExpertEntropy.chooseExpert(h, config.entropy()));
        float[] clusterScores = scores.get(expert);
        int[] local = CoverageCentricSampling.sample(clusterScores, budget, config.sampling(), rng);
        int[] picked = new int[local.length];
        for (int i = 0; i < local.length; i++) picked[i] = member[local[i]];
        int eligible = CoverageCentricSampling.eligible(clusterScores, config.sampling()).length;
        log.debug("cluster {}: size {}, budget {}, expert {} (entropies {}), selected {}", k, member.length, budget, expert, entropies, local.length);
        return new ClusterPick(picked, new Selection.ClusterReport(k, member.length, budget, expert,
                Collections.unmodifiableMap(entropies), eligible, local.length));
    }

    /** Members of each cluster, in pool order. */
    private static int[][] members(int[] labels, int clusters) {
        int[] count = new int[clusters];
        for (int l : labels) count[l]++;
        int[][] out = new int[clusters][];
        for (int k = 0; k < clusters; k++) out[k] = new int[count[k]];
        int[] fill = new int[clusters];
        for (int i = 0; i < labels.length; i++) out[labels[i]][fill[labels[i]]++] = i;
        return out;
    }

    private static float[] gather(float[] values, int[] at) {
        float[] out = new float[at.length];
        for (int i = 0; i < at.length; i++) out[i] = values[at[i]];
        return out;
    }

    /** SplitMix64 finaliser of seed and stream: independent, reproducible generators per cluster. */
    static long mix(long seed, long stream) {
        long z = seed + (stream + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
