/*
 * The outcome of one step's data selection (docs/methods/adapt-inf.md §6.4, Appendix A "log experts chosen per cluster,
 * B_k, and the sizes"): the selected pool positions and, per cluster, what was decided and why. It is the
 * content of the step's JSON selection report. Arrays are handed over, not copied.
 */
package dev.perennial.select;

import java.util.List;
import java.util.Map;

/**
 * The result of one ADAPT-∞ selection: the selected pool positions, the budget and one report per cluster.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param selected        selected pool positions, ascending, without duplicates
 * @param budget          the requested total budget B
 * @param clusters        one report per cluster id 0..K−1
 * @param nonFiniteScores per scorer (in the scorers' order), how many pool samples have a NaN or ±∞ score
 */
public record Selection(int[] selected, int budget, List<ClusterReport> clusters, Map<String, Integer> nonFiniteScores) {

    /**
     * @param cluster     cluster id
     * @param size        |C_k|
     * @param budget      B_k from the budget split, or null when the strategy has no per-cluster budget (RANDOM)
     * @param expert      the scorer used for sampling, or null (random strategies, empty clusters)
     * @param entropyBits each scorer's histogram entropy over the cluster in bits (§6.2), in the scorers' order;
     *                    empty when no entropy was computed
     * @param eligible    how many members the in-cluster sampling could pick (e.g. the CCS trimmed range)
     * @param selected    how many members were selected
     */
    public record ClusterReport(int cluster, int size, Integer budget, String expert, Map<String, Double> entropyBits,
                                int eligible, int selected) {}

    /** |S_t|. */
    public int size() { return selected.length; }
}
