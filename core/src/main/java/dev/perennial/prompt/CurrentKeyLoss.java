/*
 * ModalPrompt's alignment loss (docs/methods/modalprompt.md §6.1; also DualPrompt's E-prompt key loss): the key of the
 * entry being trained is pulled towards the batch's queries of every modality,
 *   L = w · Σ_m (1 − mean_b cos(q_m,b, k_c))   (L_img + L_txt for ModalPrompt),
 * computed as w · (M − Σ_m (mean_b q̂_m,b) · k_c / ‖k_c‖) with unit queries q̂ (a zero query has cos 0), so the graph
 * holds one dot product per modality. Only for per-task pools (a shared pool has no current entry). The KeyLoss
 * "current".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * The current entry's key pulled towards every modality's queries (ModalPrompt, DualPrompt), weighted {@code weight}.
 * <p>Immutable; safe to share between threads.
 *
 * @param weight w > 0
 */
public record CurrentKeyLoss(float weight) implements KeyLoss {
    public CurrentKeyLoss {
        KeyLoss.requirePositive(weight);
    }

    @Override public String type() { return "current"; }
    @Override public Map<String, Object> settings() { return Map.of("weight", weight); }

    @Override
    public void validate(PromptPoolConfig config) {
        if (config.growth() == PromptPoolConfig.Growth.SHARED) throw new IllegalArgumentException("a shared pool has no current entry for the key loss");
    }

    @Override
    public Tensor loss(Backend be, PromptPool pool, Tensor queries, PromptSelection selection, int current) {
        int m = queries.size(0), b = queries.size(1), d = queries.size(2);
        float[][] unit = PromptPool.unitRows(queries);
        Tensor k = pool.entry(current).key(be);                                              // [d]
        Tensor invNorm = PromptPool.inverseNorm(be, k);
        Tensor cosSum = null;
        for (int q = 0; q < m; q++) {
            float[] mean = new float[d];
            for (int i = 0; i < b; i++) for (int x = 0; x < d; x++) mean[x] += unit[q][i * d + x] / b;
            Tensor c = PromptPool.cosineTerm(be, mean, k, invNorm);                          // mean_b cos
            cosSum = cosSum == null ? c : be.add(cosSum, c);
        }
        return be.scale(be.sub(Tensor.scalar(m), cosSum), weight);
    }
}
