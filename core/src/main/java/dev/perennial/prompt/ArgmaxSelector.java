/*
 * Argmax selection: the best entry at test time (DualPrompt's E-prompt lookup, S-Prompts' nearest centroid — the
 * entry owning the best key row); in training with forceCurrent, the entry being trained. The PromptSelector "argmax".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * The single best entry (DualPrompt, S-Prompts), the current one in training when {@code forceCurrent}.
 * <p>Immutable; safe to share between threads.
 *
 * @param forceCurrent train with the entry being trained (per-task pools)
 */
public record ArgmaxSelector(boolean forceCurrent) implements PromptSelector {
    @Override public String type() { return "argmax"; }
    @Override public boolean forcesCurrent() { return forceCurrent; }
    @Override public Map<String, Object> settings() { return Map.of("forceCurrent", forceCurrent); }

    @Override
    public PromptSelection inference(PromptPool pool, Backend be, Tensor queries) {
        return pool.ranked(be, queries, pool.size(), null, 1);
    }

    @Override
    public PromptSelection training(PromptPool pool, Backend be, Tensor queries, int current) {
        return pool.forced(be, queries, new int[0][], current);
    }
}
