/*
 * Keys and values of past positions for incremental decoding: per layer K and V [B, KV, capacity, hd],
 * allocated once for the whole generation, in float32 or, for a half-precision model on a backend that reads such a
 * cache in place (Backend.kvCacheType), in the model's BF16/F16: a decode step reads every cached position of every
 * layer, so that halves the cache's share of a step's memory traffic. Attention reads the filled prefix as a strided
 * view (no copies); each step writes the new positions in place. All rows of a batch share the length; rows shorter than the
 * longest prompt are left-padded and their padding keys stay masked through keyValid.
 * The cache lives in the backend's memory and new positions are written by the backend (copyInto), so on a
 * device a decoding step moves nothing but its token in and its logits out.
 *
 * Attention prefixes (prefix tuning, AttentionPrefix): layer l may reserve P_l slots in front of the tokens, which
 * the first (prefill) pass fills with the prefix keys and values; its tensors are then [B, KV, P_l + capacity, hd]
 * and every later step attends over them as over P_l cached positions, which are always valid.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

/**
 * The keys and values of past positions for incremental decoding: per layer K and V (float32, or BF16/F16)
 * {@code [B, KV, P_l + capacity, hd]} (P_l attention-prefix slots, usually 0) in the decoding backend's memory, allocated once per generation, with each row's key
 * validity and the filled length in positions.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); each decoding step writes its
 * tensors and advances an unsynchronized length. Use one cache per concurrent generation.
 */
public final class KvCache implements AutoCloseable {
    private final Backend be;
    private final Tensor[] keys, values;     // per layer [B, KV, capacity, hd]
    private final boolean[][] keyValid;      // [B][capacity]: false for padding positions
    private final int capacity;
    private final int[] prefix;              // per layer: slots [0, P_l) hold the attention prefix
    private final boolean[] prefixFilled;
    private int length;

    /** A cache in host memory (the CPU backend's). */
    public KvCache(LlamaConfig cfg, int batch, int capacity) {
        this(new CpuBackend(), cfg, batch, capacity);
    }

    /** A cache in {@code be}'s memory: use the backend that runs the decoder. */
    public KvCache(Backend be, LlamaConfig cfg, int batch, int capacity) {
        this(be, cfg, batch, capacity, new int[cfg.numLayers()]);
    }

    /**
     * A cache in {@code be}'s memory whose layer l keeps {@code prefixPositions[l]} attention-prefix slots in front
     * of the tokens (AttentionPrefix.positions; the first pass fills them).
     */
    public KvCache(Backend be, LlamaConfig cfg, int batch, int capacity, int[] prefixPositions) {
        this(be, cfg, batch, capacity, prefixPositions, DType.F32);
    }

    /**
     * As above with the cache stored as {@code dtype}: F32, or BF16/F16 (new positions are rounded to it as they are
     * written; LlamaDecoder.kvCacheType says what a backend reads in place).
     */
    public KvCache(Backend be, LlamaConfig cfg, int batch, int capacity, int[] prefixPositions, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("a KV cache is F32, BF16 or F16, not " + dtype);
        }
        if (prefixPositions.length != cfg.numLayers()) {
            throw new IllegalArgumentException(prefixPositions.length + " prefix lengths for " + cfg.numLayers() + " layers");
        }
        this.be = be;
        this.capacity = capacity;
        this.prefix = prefixPositions.clone();
        this.prefixFilled = new boolean[cfg.numLayers()];
        this.keys = new Tensor[cfg.numLayers()];
        this.values = new Tensor[cfg.numLayers()];
        for (int l = 0; l < cfg.numLayers(); l++) {
            if (prefix[l] < 0) throw new IllegalArgumentException("layer " + l + ": negative prefix length " + prefix[l]);
            keys[l] = be.zeros(dtype, batch, cfg.numKvHeads(), prefix[l] + capacity, cfg.headDim());
            values[l] = be.zeros(dtype, batch, cfg.numKvHeads(), prefix[l] + capacity, cfg.headDim());
            prefixFilled[l] = prefix[l] == 0;
        }
        this.keyValid = new boolean[batch][capacity];
    }

    public int length() { return length; }

    /** The dtype the keys and values are stored in. */
    public DType dtype() { return keys.length == 0 ? DType.F32 : keys[0].dtype(); }
    public int capacity() { return capacity; }

    /** P_l, the attention-prefix slots of layer {@code layer} in front of its tokens. */
    public int prefixPositions(int layer) { return prefix[layer]; }

    /** P_l for every layer (a copy). */
    public int[] prefixPositions() { return prefix.clone(); }

    /** True once every layer's prefix slots are written (at once for a cache without prefixes). */
    boolean prefixFilled() {
        for (boolean f : prefixFilled) if (!f) return false;
        return true;
    }

    /** Stores layer {@code layer}'s prefix keys/values [B, KV, P_l, hd] in its first P_l slots. */
    void putPrefix(int layer, Tensor k, Tensor v) {
        if (k.size(2) != prefix[layer]) {
            throw new IllegalArgumentException("layer " + layer + ": a prefix of " + k.size(2) + " positions for a cache that reserved " + prefix[layer]);
        }
        be.copyInto(keys[layer].narrow(2, 0, prefix[layer]), k);
        be.copyInto(values[layer].narrow(2, 0, prefix[layer]), v);
        prefixFilled[layer] = true;
    }

    /** Marks which of the next {@code valid[b].length} positions hold real tokens (called before the layers run). */
    void reserve(boolean[][] valid) {
        int t = valid[0].length;
        if (length + t > capacity) throw new IllegalStateException("KV cache full: " + length + " + " + t + " > " + capacity);
        for (int b = 0; b < valid.length; b++) System.arraycopy(valid[b], 0, keyValid[b], length, t);
    }

    /** Stores layer {@code layer}'s new keys/values [B, KV, t, hd] after the filled prefix. */
    void put(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        be.copyInto(keys[layer].narrow(2, prefix[layer] + length, t), k);
        be.copyInto(values[layer].narrow(2, prefix[layer] + length, t), v);
    }

    /** Keys [B, KV, P_l + length + t, hd] of layer {@code layer}: its prefix, then the t positions just stored. */
    Tensor keys(int layer, int t) { return keys[layer].narrow(2, 0, prefix[layer] + length + t); }

    Tensor values(int layer, int t) { return values[layer].narrow(2, 0, prefix[layer] + length + t); }

    /** Validity of the first {@code n} key positions per row. */
    boolean[][] keyValid(int n) {
        boolean[][] r = new boolean[keyValid.length][];
        for (int b = 0; b < r.length; b++) r[b] = java.util.Arrays.copyOf(keyValid[b], n);
        return r;
    }

    /** Forgets every position from {@code newLength} on (e.g. to re-run a step from the same prefix). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate " + length + " to " + newLength);
        length = newLength;
    }

    /** Commits t positions after all layers have stored them. */
    void advance(int t) { length += t; }

    @Override
    public void close() {
        for (Tensor t : keys) t.close();
        for (Tensor t : values) t.close();
    }
}
