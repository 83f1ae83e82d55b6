/*
 * The composer part of a prompt pool (docs/methods/modalprompt.md §2.4, §5.4, §14): how the prompts selected for one
 * sample become the embeddings inserted into the LLM input. Standard composers:
 *   concat-after-bos  the selected prompts concatenated in selection order, inserted right after BOS (ModalPrompt
 *                     §2.4, L2P, DualPrompt's E-prompts, S-Prompts at the input);
 *   prefix            the same concatenation before BOS;
 *   weighted-sum      Σ_j α_j P_j with the selector's weights (CODA-Prompt style; goes with a weighted selector).
 * A new composer implements this interface and registers a JSON name in PromptParts.
 */
package dev.perennial.prompt;

import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;

/**
 * Turns the prompts {@code [Lp, D]} selected for one sample (with their weights when the selector gives some) into
 * one {@code PromptInsertion}; differentiable in the prompts on a GradBackend.
 * <p>Implementations are immutable values (records); safe to share between threads.
 */
public interface PromptComposer {
    /** Concatenation after BOS (ModalPrompt). */
    PromptComposer AFTER_BOS = new Concat(PromptInsertion.Placement.AFTER_BOS);
    /** Concatenation before BOS. */
    PromptComposer PREFIX = new Concat(PromptInsertion.Placement.PREFIX);
    /** The weighted sum of the selected prompts (needs a weighted selector). */
    PromptComposer WEIGHTED_SUM = new WeightedSum();

    /** The part's name in pool.json. */
    String type();

    /** Settings written to pool.json beside the type (none by default). */
    default java.util.Map<String, Object> settings() { return java.util.Map.of(); }

    /** True when the composer needs the selector's weights (a weighted selector). */
    default boolean weighted() { return false; }

    /**
     * @param prompts the selected prompts in selection order, each [Lp, D]; at least one
     * @param weights one weight per prompt (weighted selectors), else null
     */
    PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights);

    /** The prompts concatenated along the token axis ([|sel| Lp, D]) at {@code placement}. */
    record Concat(PromptInsertion.Placement placement) implements PromptComposer {
        @Override public String type() { return placement == PromptInsertion.Placement.PREFIX ? "prefix" : "concat-after-bos"; }

        @Override
        public PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights) {
            Tensor p = prompts.size() == 1 ? prompts.get(0) : be.concat(prompts, 0);
            return new PromptInsertion(p, placement);
        }
    }

    /** Σ_j α_j P_j ([Lp, D]) after BOS. */
    record WeightedSum() implements PromptComposer {
        @Override public String type() { return "weighted-sum"; }
        @Override public boolean weighted() { return true; }

        @Override
        public PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights) {
            if (weights == null) throw new IllegalArgumentException("the weighted-sum composer needs the selector's weights");
            Tensor p = be.scale(prompts.get(0), weights[0]);
            for (int j = 1; j < prompts.size(); j++) p = be.add(p, be.scale(prompts.get(j), weights[j]));
            return new PromptInsertion(p, PromptInsertion.Placement.AFTER_BOS);
        }
    }
}
