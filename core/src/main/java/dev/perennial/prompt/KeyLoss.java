/*
 * The key-loss part of a prompt pool (docs/methods/modalprompt.md §6.1, §14): the term that pulls keys towards the
 * queries of the samples that use them, added to the language-model loss. Standard losses:
 *   none      no key term (S-Prompts: centroid keys are fitted, not trained);
 *   current   w · Σ_m (1 − mean_b cos(q_m,b, k_current)) (ModalPrompt §6.1, DualPrompt): CurrentKeyLoss;
 *   selected  w · mean_b Σ_{i ∈ sel(b)} Σ_m (1 − cos(q_m,b, k_i)) (L2P): SelectedKeyLoss.
 * A new loss implements this interface and registers a JSON name in PromptParts.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * The key loss of a prompt pool (rank 0), differentiable in the keys of the training entries, or null for none.
 * <p>Implementations are immutable values (records); safe to share between threads. The pool they are handed is not.
 */
public interface KeyLoss {
    /** No key loss. */
    KeyLoss NONE = new None();

    /** The part's name in pool.json. */
    String type();

    /** Settings written to pool.json beside the type (none by default). */
    default Map<String, Object> settings() { return Map.of(); }

    /**
     * The loss for queries [M, B, d] and the batch's selection while entry {@code current} trains (-1 for a shared
     * pool); null when there is nothing to add.
     */
    Tensor loss(Backend be, PromptPool pool, Tensor queries, PromptSelection selection, int current);

    /** Refuses combinations with the other parts this loss cannot work with (none by default). */
    default void validate(PromptPoolConfig config) {}

    /** No key term. */
    record None() implements KeyLoss {
        @Override public String type() { return "none"; }
        @Override public Tensor loss(Backend be, PromptPool pool, Tensor queries, PromptSelection selection, int current) { return null; }
    }

    /** A weight w > 0 (the losses multiply their sum by it). */
    static float requirePositive(float weight) {
        if (!(weight > 0)) throw new IllegalArgumentException("key loss weight must be > 0, got " + weight);
        return weight;
    }
}
