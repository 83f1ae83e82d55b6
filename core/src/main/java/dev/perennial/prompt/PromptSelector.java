/*
 * The selector part of a prompt pool (docs/methods/modalprompt.md §5.2–5.3, §14): which entries a sample gets, at test
 * time (task-agnostic, over every entry) and in training (where a per-task pool may force the entry being trained).
 * Standard selectors:
 *   top-k   the K best entries in ascending score order, most similar nearest the text (§5.3); in training with
 *           forceCurrent, ModalPrompt's rule (§5.2): TopKSelector;
 *   argmax  the best entry (DualPrompt, S-Prompts at test), the current one in training: ArgmaxSelector;
 *   soft    every entry, weighted by its score (CODA-Prompt style), with the weighted-sum composer: SoftSelector.
 * Selectors build their result from the pool's primitives (PromptPool.ranked, forced, soft), which compute the
 * scores with the pool's score part (the fused cosine top-k where it applies). A new selector implements this
 * interface and registers a JSON name in PromptParts.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * Chooses a prompt pool's entries per sample for queries {@code [M, B, d]}: {@code inference} over every entry,
 * {@code training} with entry {@code current} being trained (called only when {@code forcesCurrent()}).
 * <p>Implementations are immutable values (records); safe to share between threads. The pool they are handed is not.
 */
public interface PromptSelector {
    /** The part's name in pool.json. */
    String type();

    /** Settings written to pool.json beside the type (none by default). */
    default Map<String, Object> settings() { return Map.of(); }

    /** True when training selects with the current entry forced (per-task pools); else training selects as inference. */
    boolean forcesCurrent();

    /** True when the selection carries weights (goes with a weighted composer). */
    default boolean weighted() { return false; }

    /** Test-time selection over the pool's every entry (at least one). */
    PromptSelection inference(PromptPool pool, Backend be, Tensor queries);

    /** Training selection while entry {@code current} (a valid index) trains. */
    PromptSelection training(PromptPool pool, Backend be, Tensor queries, int current);
}
