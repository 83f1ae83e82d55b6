/*
 * Trainable prompt embeddings spliced into every sample's input embeddings (prompt tuning; ModalPrompt inserts
 * its selected prompts immediately after BOS — docs/methods/modalprompt.md "Prompt insertion"). The prompt rows get
 * the ignore label, and positions simply continue through them, as in the reference code.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Tensor;

/**
 * Prompt embeddings {@code [P, D]} to insert into one sample's input sequence, and where (ModalPrompt, prompt
 * tuning).
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param embeddings [P, D] prompt embeddings (watch them on a Tape to train them)
 * @param placement  where they go
 */
public record PromptInsertion(Tensor embeddings, Placement placement) {
    /** Where the prompt rows are inserted. */
    public enum Placement {
        /** Right after a leading BOS token (at the start when the sample has none). */
        AFTER_BOS,
        /** Before everything, BOS included. */
        PREFIX
    }

    public PromptInsertion {
        if (embeddings.rank() != 2) throw new IllegalArgumentException("prompt embeddings must be [P, D], got " + embeddings);
    }

    public int length() { return embeddings.size(0); }
}
