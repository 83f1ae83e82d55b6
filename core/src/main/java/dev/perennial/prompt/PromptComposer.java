/*
 * The composer part of a prompt pool (docs/methods/modalprompt.md §2.4, §5.4, §14): how the prompts selected for one
 * sample become the embeddings inserted into the LLM input. Standard composers:
 *   concat-after-bos  the selected prompts concatenated in selection order, inserted right after BOS (ModalPrompt
 *                     §2.4, L2P, DualPrompt's E-prompts, S-Prompts at the input);
 *   prefix            the same concatenation before BOS;
 *   weighted-sum      Σ_j α_j P_j with the selector's weights (CODA-Prompt style; goes with a weighted selector);
 *   layer-prefix      no input rows: the selected prompt and the pool's shared prompt are prefix-tuned into decoder
 *                     layers' attention (DualPrompt's E- and G-prompts, LayerPrefixComposer).
 * A composer may ask the pool for a shared prompt (sharedRows() > 0: one tensor trained with every task, handed to
 * compose()), for prompts of another width than the model's hidden size (promptWidth) and for another
 * initialisation than vocabulary rows (initialPrompt).
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

    /**
     * As compose(), with the pool's shared prompt {@code [sharedRows(), width]} (null when sharedRows() is 0). The
     * default ignores it.
     */
    default PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights, Tensor shared) {
        return compose(be, prompts, weights);
    }

    /** Rows of the pool's shared prompt (trained with every task, saved with each); 0 (the default) for none. */
    default int sharedRows() { return 0; }

    /** The prompts' width for a model of hidden size {@code hidden} and key/value width {@code kvWidth}: hidden by default. */
    default int promptWidth(int hidden, int kvWidth) { return hidden; }

    /**
     * The initial value of a new entry's prompt ({@code shared} false, {@code rows} = the pool's prompt length) or of
     * the shared prompt: float32 [rows, promptWidth]. By default {@code rows} rows of the input embedding table of
     * uniformly drawn vocabulary ids (PromptPool.vocabularyInit).
     * @param vocab ids [0, vocab) that rows may be drawn from
     */
    default Tensor initialPrompt(dev.perennial.llava.LlamaDecoder decoder, Backend be, int vocab, int rows, boolean shared, long seed) {
        return PromptPool.vocabularyInit(decoder.embeddingTable(), vocab, rows, seed);
    }

    /** Refuses a model the composer cannot work with (e.g. prefix layers beyond its depth); none by default. */
    default void checkModel(dev.perennial.llava.LlamaConfig text) {}

    /** Refuses combinations with the other parts of {@code config} this composer cannot work with (none by default). */
    default void validate(PromptPoolConfig config) {}

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
