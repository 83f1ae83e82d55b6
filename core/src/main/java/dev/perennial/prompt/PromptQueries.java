/*
 * The query part of a prompt pool (docs/methods/modalprompt.md §5.1, §14): which frozen features a sample brings to
 * the pool (e.g. ModalPrompt's CLIP image and CLIP text features) and the weight w_m of each in the score,
 * s = Σ_m w_m · score(q_m, key). ModalPrompt weighs image and text by λ and 1 − λ; single-query methods (L2P,
 * DualPrompt, S-Prompts) have one query of weight 1.
 */
package dev.perennial.prompt;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The query modalities of a prompt pool, in the order of the queries tensor {@code [M, B, d]}, and their weights w_m.
 * <p>Immutable; safe to share between threads (the names are an immutable copy, the weights are cloned in and out).
 *
 * @param names   the modalities (e.g. "image", "text"), at least one
 * @param weights w_m, one finite weight per modality
 */
public record PromptQueries(List<String> names, float[] weights) {
    public PromptQueries {
        names = List.copyOf(names);
        weights = weights.clone();
        if (names.isEmpty() || names.size() != weights.length) {
            throw new IllegalArgumentException(names.size() + " queries but " + weights.length + " weights");
        }
        for (float w : weights) if (!Float.isFinite(w)) throw new IllegalArgumentException("query weights must be finite: " + Arrays.toString(weights));
    }

    /** One query of weight 1 (L2P, DualPrompt, S-Prompts). */
    public static PromptQueries single(String name) {
        return new PromptQueries(List.of(name), new float[]{1f});
    }

    /** M, the number of modalities. */
    public int modalities() { return names.size(); }

    @Override public float[] weights() { return weights.clone(); }

    /** Value equality, the weights compared element by element (a record compares arrays by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PromptQueries q && names.equals(q.names) && Arrays.equals(weights, q.weights);
    }

    @Override
    public int hashCode() { return Objects.hash(names, Arrays.hashCode(weights)); }

    @Override
    public String toString() { return "queries=" + names + ", weights=" + Arrays.toString(weights); }
}
