/*
 * What a prompt method adds to one sample's pass through the LLM (prompt tuning and prefix tuning):
 *
 *   embeddings  trainable rows spliced into the input embeddings (ModalPrompt inserts its selected prompts right
 *               after BOS — docs/methods/modalprompt.md "Prompt insertion"); the rows get the ignore label, and
 *               positions simply continue through them, as in the reference code;
 *   prefixes    per decoder layer, a prompt p [L, Dkv] prefix-tuned into that layer's attention (DualPrompt's
 *               "Pre-T", docs/methods/modalprompt.md §14.2): its first L/2 rows are prepended to the layer's
 *               keys, its last L/2 rows to its values (AttentionPrefix says how).
 *
 * Either may be empty: DualPrompt inserts no input rows ([0, D] embeddings), ModalPrompt no prefixes.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Tensor;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a prompt method adds to one sample: prompt embeddings {@code [P, D]} to insert into its input sequence (and
 * where), and per decoder layer a prefix prompt {@code [L, Dkv]} (L even; keys then values) for that layer's attention.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param embeddings [P, D] prompt embeddings (watch them on a Tape to train them); P may be 0 (then D may be 0 too)
 * @param placement  where they go
 * @param prefixes   decoder layer index -> [L, Dkv] prefix prompt (Dkv = kv heads × head size); empty for none
 */
public record PromptInsertion(Tensor embeddings, Placement placement, SortedMap<Integer, Tensor> prefixes) {
    /** Where the prompt rows are inserted. */
    public enum Placement {
        /** Right after a leading BOS token (at the start when the sample has none). */
        AFTER_BOS,
        /** Before everything, BOS included. */
        PREFIX
    }

    public PromptInsertion {
        if (embeddings.rank() != 2) throw new IllegalArgumentException("prompt embeddings must be [P, D], got " + embeddings);
        prefixes = Collections.unmodifiableSortedMap(new TreeMap<>(prefixes));
        for (Map.Entry<Integer, Tensor> e : prefixes.entrySet()) {
            Tensor p = e.getValue();
            if (e.getKey() < 0) throw new IllegalArgumentException("prefix layer " + e.getKey() + " is negative");
            if (p.rank() != 2 || p.size(0) % 2 != 0) {
                throw new IllegalArgumentException("the prefix of layer " + e.getKey() + " must be [L, Dkv] with L even (L/2 key rows, "
                        + "L/2 value rows), got " + java.util.Arrays.toString(p.shape()));
            }
        }
    }

    /** Input embeddings only (prompt tuning). */
    public PromptInsertion(Tensor embeddings, Placement placement) {
        this(embeddings, placement, new TreeMap<>());
    }

    /** Attention prefixes only (prefix tuning): no input rows ([0, 0] embeddings). */
    public static PromptInsertion prefixOnly(SortedMap<Integer, Tensor> prefixes) {
        return new PromptInsertion(Tensor.zeros(0, 0), Placement.AFTER_BOS, prefixes);
    }

    /** P, the input rows inserted. */
    public int length() { return embeddings.size(0); }
}
