/*
 * L2P's surrogate loss (Wang et al. 2022, "Learning to Prompt for Continual Learning", eq. 5): the keys a sample
 * selected are pulled towards its queries,
 *   L = w · mean_b Σ_{i ∈ sel(b)} Σ_m (1 − cos(q_m,b, k_i)),
 * computed per selected entry from the sum of its samples' unit queries (one dot product per entry and modality).
 * The KeyLoss "selected".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every selected entry's key pulled towards the queries that selected it (L2P), weighted {@code weight}.
 * <p>Immutable; safe to share between threads.
 *
 * @param weight w > 0
 */
public record SelectedKeyLoss(float weight) implements KeyLoss {
    public SelectedKeyLoss {
        KeyLoss.requirePositive(weight);
    }

    @Override public String type() { return "selected"; }
    @Override public Map<String, Object> settings() { return Map.of("weight", weight); }

    @Override
    public Tensor loss(Backend be, PromptPool pool, Tensor queries, PromptSelection selection, int current) {
        int m = queries.size(0), b = queries.size(1), d = queries.size(2);
        float[][] unit = PromptPool.unitRows(queries);
        Map<Integer, float[][]> sums = new LinkedHashMap<>();                               // entry -> per modality sum of q̂
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < b; i++) {
            for (int e : selection.entries()[i]) {
                float[][] s = sums.computeIfAbsent(e, x -> new float[m][d]);
                counts.merge(e, 1, Integer::sum);
                for (int q = 0; q < m; q++) for (int x = 0; x < d; x++) s[q][x] += unit[q][i * d + x];
            }
        }
        Tensor total = null;
        double constant = 0;
        for (var en : sums.entrySet()) {
            Tensor k = pool.entry(en.getKey()).key(be);
            Tensor invNorm = PromptPool.inverseNorm(be, k);
            constant += (double) counts.get(en.getKey()) * m;
            for (int q = 0; q < m; q++) {
                Tensor c = PromptPool.cosineTerm(be, en.getValue()[q], k, invNorm);
                total = total == null ? c : be.add(total, c);
            }
        }
        if (total == null) return null;
        return be.scale(be.sub(Tensor.scalar((float) constant), total), weight / b);
    }
}
