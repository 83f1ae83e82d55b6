/*
 * Selection and permanent pruning of one ADAPT-∞ step on a given clustering, one cluster at a time
 * (docs/methods/adapt-inf.md §6, §7.1; the paper's order: select, then prune). PoolStep.run does the same on one
 * machine; this form exists so that the clusters can be worked on elsewhere — perennial-spark groups the pool by
 * cluster on its executors — and so that `perennial select --labels` reproduces such a run on one machine.
 *
 * What is global is computed here, from the labels alone: the clusters' sizes, each cluster's share of the budget
 * B_k and of the pool cap keep_k (BudgetSplit), the non-finite score counts. What is per cluster is runCluster:
 * MultiWaySelection.selectCluster (expert by entropy, CCS with draws seeded by mix(seed, k)) and
 * PermanentPruning.pruneCluster; its result depends only on the cluster's members in pool order, their scores and
 * vectors, B_k and keep_k, so it is the same wherever it runs. A Runner decides where runCluster runs (local():
 * here, in cluster order) and returns one result per cluster; run() assembles them into the Selection and
 * PermanentPruning.Result that PoolStep.run returns for the same labels (ClusterwiseStepTest compares the two).
 *
 * Invalid samples (label −1: a vector with NaN or ±∞) are handled as PoolStep does: never selected, not pruned
 * (kept ahead of the valid samples, within P_max), redundancy NaN. Not supported here (an IllegalArgumentException
 * says so): prune-before-selection and the RANDOM baseline, which is not per cluster.
 */
package dev.perennial.select;

import dev.perennial.cluster.VectorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One step's selection and pruning on given cluster labels, computed one cluster at a time by a {@link Runner} (here,
 * or on other machines) and assembled into the {@link PoolStep.Outcome} that {@link PoolStep#run} gives for the same
 * labels.
 * <p>Stateless; safe to call from several threads.
 */
public final class ClusterwiseStep {
    private ClusterwiseStep() {}

    /**
     * One cluster's results.
     * @param members its pool positions, ascending
     * @param pick    its selection
     * @param keep    its pruning (kept pool positions, redundancy aligned with members), or null when the step does not prune
     */
    public record ClusterResult(int cluster, int[] members, MultiWaySelection.ClusterPick pick, PermanentPruning.ClusterKeep keep) {}

    /** Runs {@link #runCluster} for every cluster 0..K−1 (in any order, anywhere) and returns their results. */
    @FunctionalInterface
    public interface Runner {
        /**
         * @param selectBudgets B_k per cluster
         * @param keepBudgets   keep_k per cluster, or null when the step does not prune
         */
        List<ClusterResult> run(int[] selectBudgets, int[] keepBudgets);
    }

    /**
     * Cluster k's selection and pruning: the function every Runner calls.
     * @param members       the cluster's pool positions, ascending
     * @param memberScores  scorer → the members' scores (aligned with members), in the expert order
     * @param memberVectors row j is members[j]'s vector
     * @param keepBudget    keep_k, or −1 when the step does not prune
     */
    public static ClusterResult runCluster(int k, int[] members, Map<String, float[]> memberScores, VectorSource memberVectors,
                                           int selectBudget, int keepBudget, StepConfig config, int step, Backend be) {
        if (memberVectors.size() != members.length) {
            throw new IllegalArgumentException("cluster " + k + ": " + memberVectors.size() + " vectors for " + members.length + " members");
        }
        MultiWaySelection.ClusterPick pick = MultiWaySelection.selectCluster(k, members, memberScores, selectBudget, selectionConfig(config, step));
        PermanentPruning.ClusterKeep keep = null;
        if (keepBudget >= 0) {
            PermanentPruning pruning = new PermanentPruning(config.poolCap() == null ? 0 : config.poolCap(), config.pruneSplit(),
                    PermanentPruning.DEFAULT_TILE, be);
            PermanentPruning.ClusterKeep local = pruning.pruneCluster(IntStream.range(0, members.length).toArray(), memberVectors, keepBudget);
            keep = new PermanentPruning.ClusterKeep(Arrays.stream(local.kept()).map(j -> members[j]).toArray(), local.redundancy());
        }
        return new ClusterResult(k, members, pick, keep);
    }

    /** The selection settings of step {@code step}: PoolStep's seed mix(seed, step). */
    static MultiWaySelection.Config selectionConfig(StepConfig config, int step) {
        return config.selection().withSeed(MultiWaySelection.mix(config.selection().seed(), step));
    }

    /**
     * The step's selection and pruning on {@code clustering}; the runner works on the clusters.
     * @param scores scorer → [N] scores, in the expert order (the non-finite counts of the Selection come from here)
     */
    public static PoolStep.Outcome run(PoolStep.Clustering clustering, Map<String, float[]> scores, StepConfig config, int step, Runner runner) {
        int[] labels = clustering.labels();
        int n = labels.length, clusters = clustering.clusters();
        if (config.pruneBeforeSelection()) throw new IllegalArgumentException("prune-before-selection is not supported cluster by cluster");
        if (config.selection().strategy() == MultiWaySelection.Strategy.RANDOM) {
            throw new IllegalArgumentException("the RANDOM selection baseline is not per cluster");
        }
        if (n == 0) throw new IllegalArgumentException("the pool is empty: nothing to select");
        int[] sizes = new int[clusters];
        int invalid = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] == -1) invalid++;
            else if (labels[i] < 0 || labels[i] >= clusters) {
                throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + " outside [0, " + clusters + ") and not −1 (invalid)");
            } else sizes[labels[i]]++;
        }
        if (invalid == n) throw new IllegalArgumentException("every one of the " + n + " samples is invalid (label −1): nothing to select");
        Map<String, Integer> nonFinite = new LinkedHashMap<>();
        for (var e : scores.entrySet()) {
            if (e.getValue().length != n) {
                throw new IllegalArgumentException("scorer '" + e.getKey() + "' has " + e.getValue().length + " scores for " + n + " pool samples");
            }
            int bad = 0;
            for (float v : e.getValue()) if (!Float.isFinite(v)) bad++;
            nonFinite.put(e.getKey(), bad);
        }
        MultiWaySelection.Config sc = selectionConfig(config, step);
        if (sc.strategy() == MultiWaySelection.Strategy.MULTI_WAY && scores.isEmpty()) throw new IllegalArgumentException("MULTI_WAY needs at least one scorer");
        int[] selectBudgets = BudgetSplit.split(sizes, config.budget(), sc.budgetSplit());
        boolean prune = config.poolCap() != null && n > config.poolCap();
        int[] keepBudgets = prune ? BudgetSplit.split(sizes, Math.max(0, config.poolCap() - invalid), config.pruneSplit()) : null;

        ClusterResult[] byCluster = new ClusterResult[clusters];
        for (ClusterResult r : runner.run(selectBudgets, keepBudgets)) {
            if (r.cluster() < 0 || r.cluster() >= clusters || byCluster[r.cluster()] != null) {
                throw new IllegalStateException("the runner returned cluster " + r.cluster() + " twice or outside [0, " + clusters + ")");
            }
            if (r.members().length != sizes[r.cluster()]) {
                throw new IllegalStateException("the runner's cluster " + r.cluster() + " has " + r.members().length + " members, the labels say " + sizes[r.cluster()]);
            }
            byCluster[r.cluster()] = r;
        }
        List<Selection.ClusterReport> reports = new ArrayList<>();
        List<int[]> picked = new ArrayList<>();
        for (int k = 0; k < clusters; k++) {
            ClusterResult r = byCluster[k];
            if (r == null) {
                if (sizes[k] > 0) throw new IllegalStateException("the runner returned nothing for cluster " + k + " (" + sizes[k] + " members)");
                r = runCluster(k, new int[0], emptyScores(scores), new dev.perennial.cluster.InMemoryVectors(new float[0], 0, 0),
                        selectBudgets[k], prune ? keepBudgets[k] : -1, config, step, new CpuBackend());
                byCluster[k] = r;
            }
            reports.add(r.pick().report());
            picked.add(r.pick().selected());
        }
        int[] selected = picked.stream().flatMapToInt(Arrays::stream).sorted().toArray();
        Selection selection = new Selection(selected, config.budget(), Collections.unmodifiableList(reports), Collections.unmodifiableMap(nonFinite));

        PermanentPruning.Result pruning;
        if (!prune) {
            pruning = new PermanentPruning.Result(false, IntStream.range(0, n).toArray(), new float[0], sizes);
        } else {
            int keepInvalid = Math.min(invalid, config.poolCap());
            int[] kept = new int[keepInvalid + Arrays.stream(keepBudgets).sum()];
            int filled = 0;
            for (int p = 0; p < n && filled < keepInvalid; p++) if (labels[p] < 0) kept[filled++] = p;
            float[] redundancy = new float[n];
            Arrays.fill(redundancy, Float.NaN);
            for (ClusterResult r : byCluster) {
                for (int p : r.keep().kept()) kept[filled++] = p;
                for (int j = 0; j < r.members().length; j++) redundancy[r.members()[j]] = r.keep().redundancy()[j];
            }
            Arrays.sort(kept);
            pruning = new PermanentPruning.Result(true, kept, redundancy, keepBudgets);
        }
        return new PoolStep.Outcome(step, n, clustering, selection, pruning);
    }

    /**
     * The runner that works on every cluster here, in cluster order: {@code vectors}, {@code labels} and
     * {@code scores} describe the whole pool.
     */
    public static Runner local(VectorSource vectors, int[] labels, int clusters, Map<String, float[]> scores, StepConfig config, int step, Backend be) {
        return (selectBudgets, keepBudgets) -> {
            int[][] members = new int[clusters][];
            int[] count = new int[clusters];
            for (int l : labels) if (l >= 0) count[l]++;
            for (int k = 0; k < clusters; k++) members[k] = new int[count[k]];
            int[] fill = new int[clusters];
            for (int i = 0; i < labels.length; i++) if (labels[i] >= 0) members[labels[i]][fill[labels[i]]++] = i;
            List<ClusterResult> out = new ArrayList<>();
            for (int k = 0; k < clusters; k++) {
                int[] m = members[k];
                Map<String, float[]> memberScores = new LinkedHashMap<>();
                scores.forEach((name, v) -> {
                    float[] g = new float[m.length];
                    for (int j = 0; j < m.length; j++) g[j] = v[m[j]];
                    memberScores.put(name, g);
                });
                VectorSource rows = new VectorSource() {
                    @Override public int size() { return m.length; }
                    @Override public int dim() { return vectors.dim(); }
                    @Override public void read(int index, float[] dst) { vectors.read(m[index], dst); }
                };
                out.add(runCluster(k, m, memberScores, rows, selectBudgets[k], keepBudgets == null ? -1 : keepBudgets[k], config, step, be));
            }
            return out;
        };
    }

    private static Map<String, float[]> emptyScores(Map<String, float[]> scores) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : scores.keySet()) out.put(name, new float[0]);
        return out;
    }
}
