/*
 * Which keys each query may attend to, in the structured form a fused attention kernel takes (a causal flag with
 * the cache offset, and per-batch key validity for padding) instead of a [B, 1, T, Tk] additive matrix.
 *
 * Query i (0-based among the T new positions) sees key j when (!causal || j <= start + i) and keyValid[b][j].
 * start is the number of keys already in a KV cache (0 for a plain forward pass). keyValid is null when every key
 * is valid. A query that sees no key gets zero attention output (never NaN).
 *
 * Backends without a fused kernel use additive(...): the equivalent additive mask (0 or -inf), built once per
 * mask and shape and reused by every layer (kept out of any TensorScope, since the first layer to ask may run
 * inside a per-layer scope). The matrix depends only on the rule, the shape and the valid keys, so the last few
 * built are shared by all masks (a training step of the same shapes then builds no mask after the first).
 */
package dev.perennial.tensor;

import java.util.Arrays;

/**
 * Which keys each query may attend to, in the structured form fused attention kernels take: a causal flag with the
 * number {@code start} of cached keys, and optional key validity {@code [B][Tk]} for padding; backends without a fused
 * kernel get the equivalent additive mask {@code [B or 1, 1, T, Tk]} (0 or -inf), built once and cached.
 * <p>Thread-safe: the rule's fields are final and the cached tensors are built under the instance's lock (the shared
 * cache of recent additive masks under its own); the key-validity array is not copied, so do not modify it afterwards.
 */
public final class AttentionMask {
    private static final AttentionMask NONE = new AttentionMask(false, 0, null);

    private final boolean causal;
    private final int start;
    private final boolean[][] keyValid;   // [B][Tk] or null
    private Tensor additive;               // cached [B or 1, 1, T, Tk]
    private Tensor keyValidTensor;         // cached [B, Tk] U8
    private static final int SHARED = 4;
    private static final java.util.LinkedHashMap<String, Tensor> shared = new java.util.LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Tensor> eldest) { return size() > SHARED; }
    };

    private AttentionMask(boolean causal, int start, boolean[][] keyValid) {
        if (start < 0) throw new IllegalArgumentException("attention start must be >= 0, got " + start);
        this.causal = causal;
        this.start = start;
        this.keyValid = keyValid;
    }

    /** Full attention, every key valid (the CLIP tower). */
    public static AttentionMask none() { return NONE; }

    /** Full attention over the valid keys. */
    public static AttentionMask padding(boolean[][] keyValid) { return new AttentionMask(false, 0, keyValid); }

    /** Causal attention after {@code start} cached keys, over the valid keys (null = all valid). */
    public static AttentionMask causal(int start, boolean[][] keyValid) { return new AttentionMask(true, start, keyValid); }

    public boolean isCausal() { return causal; }

    public int start() { return start; }

    /** Whether key j of batch row b may be attended (before the causal rule). */
    public boolean keyValid(int b, int j) { return keyValid == null || keyValid[b][j]; }

    public boolean hasKeyValidity() { return keyValid != null; }

    /** Key validity as a [B, Tk] U8 tensor (1 = valid), or null when every key is valid. */
    public synchronized Tensor keyValidTensor(int batch, int tk) {
        if (keyValid == null) return null;
        checkShape(batch, tk);
        if (keyValidTensor == null) {
            Tensor m = Tensor.zeros(DType.U8, batch, tk);
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < tk; j++) if (keyValid[b][j]) m.storage().setLong(b * tk + j, 1);
            }
            keyValidTensor = m.frozen();          // read-only: a device copies it in once for all layers
            m.close();
        }
        return keyValidTensor;
    }

    /** The additive mask (0 visible, -inf hidden): [B, 1, T, Tk], or [1, 1, T, Tk] without key validity; null if none. */
    public synchronized Tensor additive(int batch, int t, int tk) {
        if (!causal && keyValid == null) return null;
        if (keyValid != null) checkShape(batch, tk);
        int rows = keyValid == null ? 1 : batch;
        if (additive == null || additive.size(0) != rows || additive.size(2) != t || additive.size(3) != tk) {
            String key = sharedKey(rows, t, tk);
            synchronized (shared) {
                additive = shared.computeIfAbsent(key, k -> build(rows, t, tk));
            }
        }
        return additive;
    }

    /** What the additive matrix depends on: the rule, the shape and which keys are valid. */
    private String sharedKey(int rows, int t, int tk) {
        StringBuilder k = new StringBuilder().append(causal).append(',').append(start).append(',').append(rows)
                .append(',').append(t).append(',').append(tk).append(':');
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < tk; j++) k.append(keyValid(b, j) ? '1' : '0');
        }
        return k.toString();
    }

    private Tensor build(int rows, int t, int tk) {
        float[] m = new float[rows * t * tk];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < tk; j++) {
                    boolean visible = (!causal || j <= start + i) && keyValid(b, j);
                    if (!visible) m[(b * t + i) * tk + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return TensorScope.unscoped(Tensor.of(m, rows, 1, t, tk));
    }

    void checkShape(int batch, int tk) {
        if (keyValid.length != batch || Arrays.stream(keyValid).anyMatch(r -> r.length < tk)) {
            throw new IllegalArgumentException("key validity covers " + keyValid.length + " rows of "
                    + (keyValid.length == 0 ? 0 : keyValid[0].length) + " keys, attention needs " + batch + " x " + tk);
        }
    }

    @Override
    public String toString() {
        return (causal ? "causal(start=" + start + ")" : "full") + (keyValid == null ? "" : "+padding");
    }
}
