/*
 * Soft selection (CODA-Prompt style, Smith et al. 2023, without its attention): every entry, weighted by its score
 * (no softmax), in entry order; in training with forceCurrent, entries 0..c. Goes with the weighted-sum composer.
 * The PromptSelector "soft".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * Every entry, weighted by its score (CODA-Prompt style).
 * <p>Immutable; safe to share between threads.
 *
 * @param forceCurrent train over entries 0..current only (per-task pools)
 */
public record SoftSelector(boolean forceCurrent) implements PromptSelector {
    @Override public String type() { return "soft"; }
    @Override public boolean forcesCurrent() { return forceCurrent; }
    @Override public boolean weighted() { return true; }
    @Override public Map<String, Object> settings() { return Map.of("forceCurrent", forceCurrent); }

    @Override
    public PromptSelection inference(PromptPool pool, Backend be, Tensor queries) {
        return pool.soft(be, queries, pool.size());
    }

    @Override
    public PromptSelection training(PromptPool pool, Backend be, Tensor queries, int current) {
        return pool.soft(be, queries, current + 1);
    }
}
