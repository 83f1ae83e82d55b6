/*
 * Which pool entries each sample of a batch uses, in insertion order (docs/methods/modalprompt.md §5.2–5.4): for top-k the
 * least similar selected entry first and the most similar (or, in ModalPrompt training, the current task) last,
 * nearest the instruction text. Scores are the selection scores of those entries (s[b, i], §5.1); weights are the
 * soft selector's mixing weights (null for hard selection).
 */
package dev.perennial.prompt;

import java.util.Arrays;

/**
 * Which pool entries each sample of a batch uses, with their selection scores and (soft selector) mixing weights.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param entries per sample, pool indices in insertion order
 * @param scores  per sample, the score of each listed entry
 * @param weights per sample, the mixing weight of each listed entry (SOFT selector), or null
 */
public record PromptSelection(int[][] entries, float[][] scores, float[][] weights) {
    public PromptSelection {
        if (scores.length != entries.length || (weights != null && weights.length != entries.length)) {
            throw new IllegalArgumentException("one row of entries, scores (and weights) per sample");
        }
    }

    public int batch() { return entries.length; }

    /** The entries of sample b, in insertion order. */
    public int[] of(int b) { return entries[b].clone(); }

    @Override
    public String toString() { return "PromptSelection" + Arrays.deepToString(entries); }
}
