/*
 * One entry of a prompt pool (docs/methods/modalprompt.md §2, §14): a value prompt P [Lp, D] and what its key comes from: a key
 * MLP (ModalPrompt's g_i, key = mean_j g_i(P[j])), a free key vector, or k-means centroids of its training queries.
 * The prompt is a tensor of its own, not rows of the vocabulary (the official code adds prompt tokens to the
 * vocabulary and resets the other rows every step; a separate tensor gives the same model without that machinery,
 * and the language-model head never sees prompt ids, so they cannot be generated — bug B6).
 *
 * Keys of entries that are not training are constant, so they are cached (§3): keyValues() computes once and keeps
 * the float values until invalidateKey() (called by the trainer after each optimizer step of a training entry).
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a prompt pool: a float32 value prompt {@code [Lp, D]} and what its key {@code [d]} comes from (a key
 * MLP, a free key vector, or k-means centroids {@code [M, c, d]}); {@code keyValues} computes the key once and caches
 * it until {@code invalidateKey}.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its cached key and centroids
 * change without synchronization, and its tensors are trained in place.
 */
public final class PromptEntry {
    /** Tensor names in checkpoints and in the trainer's parameter map (prefixed by the entry name there). */
    public static final String PROMPT = "prompt", KEY = "key", CENTROIDS = "centroids";

    private final String name;
    private final Tensor prompt;         // [Lp, D] float32
    private final KeyMlp mlp;            // DerivedMlpKeys, else null
    private final Tensor freeKey;        // FreeKeys: [d], else null
    private Tensor centroids;            // CentroidKeys: [M, c, d] once fitted, else null
    private float[] cachedKey;           // [d]

    private PromptEntry(String name, Tensor prompt, KeyMlp mlp, Tensor freeKey, Tensor centroids) {
        if (prompt.rank() != 2 || prompt.dtype() != DType.F32) throw new IllegalArgumentException(name + ": prompt must be F32 [Lp, D], got " + prompt);
        this.name = name;
        this.prompt = prompt;
        this.mlp = mlp;
        this.freeKey = freeKey;
        this.centroids = centroids;
    }

    public static PromptEntry derived(String name, Tensor prompt, KeyMlp mlp) { return new PromptEntry(name, prompt, mlp, null, null); }
    public static PromptEntry free(String name, Tensor prompt, Tensor key) {
        if (key.rank() != 1) throw new IllegalArgumentException(name + ": a free key is a vector, got " + key);
        return new PromptEntry(name, prompt, null, key, null);
    }
    public static PromptEntry centroids(String name, Tensor prompt, Tensor centroids) { return new PromptEntry(name, prompt, null, null, centroids); }

    public String name() { return name; }
    /** P [Lp, D], the live tensor (training updates it in place). */
    public Tensor prompt() { return prompt; }
    public KeyMlp mlp() { return mlp; }
    public Tensor freeKey() { return freeKey; }
    /** [M, c, d] centroids (CENTROIDS keys), or null before they are fitted. */
    public Tensor centroids() { return centroids; }
    public int length() { return prompt.size(0); }

    void setCentroids(Tensor c) {
        this.centroids = c;
    }

    /** The key [d] on {@code be}: differentiable with respect to the prompt and the MLP (or the free key). */
    public Tensor key(Backend be) {
        if (mlp != null) return mlp.key(be, prompt);
        if (freeKey != null) return freeKey;
        throw new IllegalStateException(name + ": centroid keys have no single key vector");
    }

    /** The key's values, computed once on {@code be} and cached until invalidateKey(). */
    public float[] keyValues(Backend be) {
        if (cachedKey == null) {
            try (TensorScope ignored = TensorScope.open()) {
                cachedKey = key(be).to(DType.F32).toFloatArray();
            }
        }
        return cachedKey;
    }

    /** Sets the cached key to saved values (loading a checkpoint: selection then uses exactly the saved key). */
    void restoreKey(float[] key) {
        this.cachedKey = key.clone();
    }

    /** Forgets the cached key (its tensors changed). */
    public void invalidateKey() { cachedKey = null; }

    /** Every tensor of the entry by name: prompt, then key_mlp.* / key / centroids (the live objects). */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(PROMPT, prompt);
        if (mlp != null) m.putAll(mlp.tensors());
        if (freeKey != null) m.put(KEY, freeKey);
        if (centroids != null) m.put(CENTROIDS, centroids);
        return m;
    }

    /** The tensors a gradient may update: the prompt and the MLP or free key (never centroids). */
    public Map<String, Tensor> trainableTensors() {
        Map<String, Tensor> m = tensors();
        m.remove(CENTROIDS);
        return m;
    }
}
