/*
 * The key-source part of a prompt pool (docs/methods/modalprompt.md §3, §14): where an entry's key comes from, how a
 * new entry gets one, what an entry must carry to fit the pool, and which key rows selection compares queries with.
 * Standard sources:
 *   derived-mlp  k_i = mean_j g_i(P_i[j]), a per-entry MLP g_i: D -> D -> d with SiLU (ModalPrompt §3): DerivedMlpKeys;
 *   free         a trainable key vector per entry, initialised uniform in [-1, 1) (L2P, DualPrompt): FreeKeys;
 *   centroids    k-means centroids of the entry's training queries, never trained (S-Prompts): CentroidKeys.
 * A new source implements this interface and registers a JSON name in PromptParts.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Where the keys of a prompt pool's entries come from: creates an entry's key part, restores it from saved tensors,
 * checks an entry fits, and gives the key rows selection compares queries with ({@code [M, count · rows, d]}).
 * <p>Implementations are immutable values (records); safe to share between threads. The entries they are handed
 * are not: confine a pool and its entries to one thread.
 */
public interface KeySource {
    /** The part's name in pool.json. */
    String type();

    /** Settings written to pool.json beside the type (none by default). */
    default Map<String, Object> settings() { return Map.of(); }

    /** A new entry with prompt {@code prompt [Lp, D]} and a fresh key part drawn from {@code seed}. */
    PromptEntry create(String name, Tensor prompt, int hidden, int keyDim, long seed);

    /**
     * The entry saved as {@code tensors} (PromptEntry's tensor names, without the entry prefix).
     * @throws IllegalArgumentException naming the tensor that is missing or malformed
     */
    PromptEntry read(String name, Tensor prompt, Map<String, Tensor> tensors);

    /** Refuses an entry whose key part does not fit a pool of width {@code hidden}, key width d and M modalities. */
    void check(PromptEntry entry, int hidden, int keyDim, int modalities);

    /**
     * True when every entry has one key vector [d] (cached by PromptEntry and saved beside it as key_cache, so a
     * reloaded pool selects exactly as the one that trained).
     */
    boolean singleKey();

    /**
     * The key rows of entries [0, count) for selection, values only: [M, count · r, d] where entry i owns rows
     * [i r, (i + 1) r) (r = 1 for a single key, which every modality compares with).
     */
    Tensor selectionKeys(Backend be, List<PromptEntry> entries, int count, int modalities, int keyDim);

    /** Called once a task's new entry exists, with the task's training queries [M, N, d] (CentroidKeys fits here). */
    default void prepare(PromptPool pool, int entry, Tensor queries, long seed) {}

    /** Refuses combinations with the other parts this source cannot work with (none by default). */
    default void validate(PromptPoolConfig config) {}

    /** The saved tensor {@code name} of an entry being read; an IllegalArgumentException naming it when absent. */
    static Tensor required(Map<String, Tensor> tensors, String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no " + name + " tensor");
        return t;
    }

    /** [M, count, d] with every modality's row i = entry i's single key. */
    static Tensor singleKeyRows(Backend be, List<PromptEntry> entries, int count, int modalities, int keyDim) {
        float[] out = new float[modalities * count * keyDim];
        for (int i = 0; i < count; i++) {
            float[] k = entries.get(i).keyValues(be);
            for (int q = 0; q < modalities; q++) System.arraycopy(k, 0, out, (q * count + i) * keyDim, keyDim);
        }
        return Tensor.of(out, modalities, count, keyDim);
    }
}
