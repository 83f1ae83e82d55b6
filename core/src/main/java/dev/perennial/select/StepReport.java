/*
 * The human-facing summary of one ADAPT-∞ step (docs/methods/adapt-inf.md Appendix A: "log experts chosen per cluster, B_k,
 * and the sizes"), written as report.json next to a chart of it (StepChart). Built from a PoolStep.Outcome:
 *
 *   {"step": t, "dataset": name of the dataset that joined at t (null outside a pool),
 *    "pool_size": N clustered, "budget": B, "selected": |S_t|, "scorers": [expert order],
 *    "modes": {strategy, budget_split, entropy, sampling, kmeans, kmeans_assignment, kmeans_n_init, prune_split,
 *              prune_before_selection, compat}, "seeds": {kmeans, selection} (base seeds, before mixing in t),
 *    "clustering": {k, inertia, iterations, converged, k_choice: [{k, wss, sum_of_distances, silhouette}]},
 *    "clusters": [{id, size, budget, expert, entropies: {scorer: bits}, eligible, selected, kept}],
 *    "nan_scores": {scorer: count of NaN/±∞ among the samples selection saw and the invalid samples},
 *    "non_finite_vectors": invalid samples (a vector with NaN/±∞: not clustered, never selected, kept),
 *    "pruning": {pool_cap, pruned, pool_after, removed}}
 *
 * Per cluster (invalid samples belong to none): size = members in the clustering; budget = B_k (null for RANDOM); expert = the chosen scorer (null
 * for empty clusters and random strategies); entropies in bits (null = NaN, CODE_COMPAT); eligible = members the
 * sampling could pick; selected = |S_t ∩ C_k|; kept = members left after pruning (= size without pruning).
 * With pruneBeforeSelection, budget, eligible and entropies refer to the kept members.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one ADAPT-∞ step did: pool size, budget, experts, clusters and their chosen scorers, pruning; written as
 * report.json.
 * <p>A value carrier: the canonical constructor does not copy its lists and maps ({@code of} does); do not modify
 * them while another thread reads.
 *
 * @param dataset   the dataset that joined the pool at this step, or null
 * @param poolSize  N, samples clustered at this step
 * @param selected  |S_t|
 * @param scorers   the experts, in order
 * @param poolAfter pool size after pruning
 * @param nonFiniteVectors invalid samples: their vector has NaN or ±∞, so they were neither clustered nor selected
 */
public record StepReport(int step, String dataset, int poolSize, int budget, int selected, List<String> scorers, StepConfig config,
                         PoolStep.Clustering clustering, List<Cluster> clusters, Map<String, Integer> nanScores, boolean pruned,
                         int poolAfter, int nonFiniteVectors) {

    /** One cluster's line (see the class comment). */
    public record Cluster(int id, int size, Integer budget, String expert, Map<String, Double> entropies, int eligible,
                          int selected, int kept) {}

    /** The report of an outcome. */
    public static StepReport of(PoolStep.Outcome outcome, StepConfig config, List<String> scorers, String dataset) {
        PoolStep.Clustering c = outcome.clustering();
        int k = c.clusters();
        int[] size = new int[k], kept = new int[k];
        for (int l : c.labels()) if (l >= 0) size[l]++;
        for (int p : outcome.pruning().kept()) if (c.labels()[p] >= 0) kept[c.labels()[p]]++;
        Selection s = outcome.selection();
        List<Cluster> clusters = new ArrayList<>();
        for (Selection.ClusterReport r : s.clusters()) {
            clusters.add(new Cluster(r.cluster(), size[r.cluster()], r.budget(), r.expert(), r.entropyBits(), r.eligible(),
                    r.selected(), kept[r.cluster()]));
        }
        return new StepReport(outcome.step(), dataset, outcome.poolSize(), config.budget(), s.size(), List.copyOf(scorers), config,
                c, List.copyOf(clusters), s.nonFiniteScores(), outcome.pruning().pruned(), outcome.pruning().kept().length,
                c.invalidSamples());
    }

    ObjectNode toJson() {
        ObjectNode o = StepFolder.JSON.createObjectNode();
        o.put("step", step);
        if (dataset == null) o.putNull("dataset"); else o.put("dataset", dataset);
        o.put("pool_size", poolSize).put("budget", budget).put("selected", selected);
        ArrayNode names = o.putArray("scorers");
        scorers.forEach(names::add);
        MultiWaySelection.Config sel = config.selection();
        ObjectNode modes = o.putObject("modes");
        modes.put("strategy", sel.strategy().name()).put("budget_split", sel.budgetSplit().name())
                .put("entropy", sel.entropy().name()).put("sampling", sel.sampling().mode().name())
                .put("kmeans", config.kmeans().variant().name()).put("kmeans_assignment", config.kmeans().assignment().name())
                .put("kmeans_n_init", config.kmeans().nInit())
                .put("prune_split", config.pruneSplit().name()).put("prune_before_selection", config.pruneBeforeSelection())
                .put("compat", config.isCodeCompat());
        o.putObject("seeds").put("kmeans", config.kmeans().seed()).put("selection", sel.seed());
        ObjectNode cl = o.putObject("clustering");
        cl.put("k", clustering.clusters()).put("inertia", clustering.inertia()).put("iterations", clustering.iterations())
                .put("converged", clustering.converged());
        ArrayNode table = cl.putArray("k_choice");
        for (KChooser.Row r : clustering.kChoice()) {
            ObjectNode row = table.addObject().put("k", r.clusters()).put("wss", r.wss()).put("sum_of_distances", r.sumOfDistances());
            StepFolder.putNumber(row, "silhouette", r.silhouette());
        }
        ArrayNode cs = o.putArray("clusters");
        for (Cluster c : clusters) {
            ObjectNode r = cs.addObject().put("id", c.id()).put("size", c.size());
            if (c.budget() == null) r.putNull("budget"); else r.put("budget", c.budget());
            r.put("expert", c.expert());
            ObjectNode h = r.putObject("entropies");
            c.entropies().forEach((name, bits) -> StepFolder.putNumber(h, name, bits));
            r.put("eligible", c.eligible()).put("selected", c.selected()).put("kept", c.kept());
        }
        ObjectNode bad = o.putObject("nan_scores");
        nanScores.forEach(bad::put);
        o.put("non_finite_vectors", nonFiniteVectors);
        ObjectNode pr = o.putObject("pruning");
        if (config.poolCap() == null) pr.putNull("pool_cap"); else pr.put("pool_cap", config.poolCap());
        pr.put("pruned", pruned).put("pool_after", poolAfter).put("removed", poolSize - poolAfter);
        return o;
    }
}
