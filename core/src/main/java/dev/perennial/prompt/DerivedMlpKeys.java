/*
 * ModalPrompt's keys (docs/methods/modalprompt.md §3): each entry owns a small MLP g_i: D -> D -> d (SiLU) and its
 * key is the mean of g_i over the entry's prompt rows, k_i = mean_j g_i(P_i[j]), so the key moves with the prompt
 * and is trained with it. The KeySource "derived-mlp".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Keys derived from each entry's prompt by a per-entry key MLP (ModalPrompt).
 * <p>Immutable and stateless; safe to share between threads.
 */
public record DerivedMlpKeys() implements KeySource {
    @Override public String type() { return "derived-mlp"; }

    @Override
    public PromptEntry create(String name, Tensor prompt, int hidden, int keyDim, long seed) {
        return PromptEntry.derived(name, prompt, KeyMlp.initialise(hidden, keyDim, seed));
    }

    @Override
    public PromptEntry read(String name, Tensor prompt, Map<String, Tensor> tensors) {
        return PromptEntry.derived(name, prompt, KeyMlp.of(tensors));
    }

    @Override
    public void check(PromptEntry e, int hidden, int keyDim, int modalities) {
        if (e.mlp() == null || e.mlp().hidden() != hidden || e.mlp().keyDim() != keyDim) {
            throw new IllegalArgumentException(e.name() + ": needs a key MLP " + hidden + " -> " + keyDim);
        }
    }

    @Override public boolean singleKey() { return true; }

    @Override
    public Tensor selectionKeys(Backend be, List<PromptEntry> entries, int count, int modalities, int keyDim) {
        return KeySource.singleKeyRows(be, entries, count, modalities, keyDim);
    }
}
