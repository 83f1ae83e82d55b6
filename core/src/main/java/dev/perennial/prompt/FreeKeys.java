/*
 * Free keys (L2P, Wang et al. 2022; DualPrompt, Wang et al. 2022): each entry owns a trainable key vector [d],
 * initialised uniform in [-1, 1) from the entry's seed and pulled towards its queries by the key loss. The KeySource
 * "free".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A trainable key vector per entry (L2P, DualPrompt).
 * <p>Immutable and stateless; safe to share between threads.
 */
public record FreeKeys() implements KeySource {
    @Override public String type() { return "free"; }

    @Override
    public PromptEntry create(String name, Tensor prompt, int hidden, int keyDim, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] k = new float[keyDim];
        for (int i = 0; i < k.length; i++) k[i] = (float) (rng.nextDouble() * 2 - 1);
        return PromptEntry.free(name, prompt, Tensor.of(k, k.length));
    }

    @Override
    public PromptEntry read(String name, Tensor prompt, Map<String, Tensor> tensors) {
        return PromptEntry.free(name, prompt, KeySource.required(tensors, PromptEntry.KEY));
    }

    @Override
    public void check(PromptEntry e, int hidden, int keyDim, int modalities) {
        if (e.freeKey() == null || e.freeKey().size(0) != keyDim) {
            throw new IllegalArgumentException(e.name() + ": needs a free key of width " + keyDim);
        }
    }

    @Override public boolean singleKey() { return true; }

    @Override
    public Tensor selectionKeys(Backend be, List<PromptEntry> entries, int count, int modalities, int keyDim) {
        return KeySource.singleKeyRows(be, entries, count, modalities, keyDim);
    }
}
