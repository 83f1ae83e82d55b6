/*
 * Keys and values of past positions for incremental decoding: per layer K and V [B, KV, capacity, hd],
 * allocated once for the whole generation. Attention reads the filled prefix as a strided view (no copies);
 * each step writes the new positions in place. All rows of a batch share the length; rows shorter than the
 * longest prompt are left-padded and their padding keys stay masked through keyValid.
 * The cache lives in the backend's memory and new positions are written by the backend (copyInto), so on a
 * device a decoding step moves nothing but its token in and its logits out.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

/**
 * The keys and values of past positions for incremental decoding: per layer float32 K and V
 * {@code [B, KV, capacity, hd]} in the decoding backend's memory, allocated once per generation, with each row's key
 * validity and the filled length in positions.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); each decoding step writes its
 * tensors and advances an unsynchronized length. Use one cache per concurrent generation.
 */
public final class KvCache implements AutoCloseable {
    private final Backend be;
    private final Tensor[] keys, values;     // per layer [B, KV, capacity, hd]
    private final boolean[][] keyValid;      // [B][capacity]: false for padding positions
    private final int capacity;
    private int length;

    /** A cache in host memory (the CPU backend's). */
    public KvCache(LlamaConfig cfg, int batch, int capacity) {
        this(new CpuBackend(), cfg, batch, capacity);
    }

    /** A cache in {@code be}'s memory: use the backend that runs the decoder. */
    public KvCache(Backend be, LlamaConfig cfg, int batch, int capacity) {
        this.be = be;
        this.capacity = capacity;
        this.keys = new Tensor[cfg.numLayers()];
        this.values = new Tensor[cfg.numLayers()];
        for (int l = 0; l < cfg.numLayers(); l++) {
            keys[l] = be.zeros(DType.F32, batch, cfg.numKvHeads(), capacity, cfg.headDim());
            values[l] = be.zeros(DType.F32, batch, cfg.numKvHeads(), capacity, cfg.headDim());
        }
        this.keyValid = new boolean[batch][capacity];
    }

    public int length() { return length; }
    public int capacity() { return capacity; }

    /** Marks which of the next {@code valid[b].length} positions hold real tokens (called before the layers run). */
    void reserve(boolean[][] valid) {
        int t = valid[0].length;
        if (length + t > capacity) throw new IllegalStateException("KV cache full: " + length + " + " + t + " > " + capacity);
        for (int b = 0; b < valid.length; b++) System.arraycopy(valid[b], 0, keyValid[b], length, t);
    }

    /** Stores layer {@code layer}'s new keys/values [B, KV, t, hd] after the filled prefix. */
    void put(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        be.copyInto(keys[layer].narrow(2, length, t), k);
        be.copyInto(values[layer].narrow(2, length, t), v);
    }

    /** Keys [B, KV, length + t, hd] of layer {@code layer} including the t positions just stored. */
    Tensor keys(int layer, int t) { return keys[layer].narrow(2, 0, length + t); }

    Tensor values(int layer, int t) { return values[layer].narrow(2, 0, length + t); }

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
