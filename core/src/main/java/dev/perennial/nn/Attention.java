/*
 * Scaled dot-product attention with grouped key/value heads, written once for the CLIP tower (full attention,
 * one kv head per query head) and the LLaMA decoder (causal, GQA, KV cache).
 *
 * Query head h uses kv head h / (H / KV) (llava-reference.md). Instead of repeating K and V, the query heads are
 * viewed as [B, KV, g, T, hd] and multiplied against K/V with a broadcast size-1 group dim, so grouped heads
 * share one K/V in memory. Scores are scaled after QKᵀ and soft-maxed in float32 with an additive mask
 * (-inf = masked; a fully masked row gives zero weights instead of NaN).
 */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

public final class Attention {
    private Attention() {}

    /**
     * @param q     [B, H, T, hd]
     * @param k     [B, KV, Tk, hd] (any strides, e.g. a view of a KV cache)
     * @param v     [B, KV, Tk, hd]
     * @param mask  additive mask broadcastable to [B, 1, T, Tk], or null
     * @param scale multiplier of QKᵀ (1/sqrt(hd))
     * @return [B, H, T, hd]
     */
    public static Tensor attend(Backend be, Tensor q, Tensor k, Tensor v, Tensor mask, float scale) {
        int b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = k.size(1), tk = k.size(2);
        if (h % kv != 0) throw new IllegalArgumentException(h + " query heads do not group over " + kv + " kv heads");
        int g = h / kv;
        Tensor q5 = be.contiguous(q).reshape(b, kv, g, t, hd);       // [B, KV, g, T, hd]
        Tensor kT = k.unsqueeze(2).transpose(-1, -2);                 // [B, KV, 1, hd, Tk]
        Tensor scores = be.matmul(q5, kT);                            // [B, KV, g, T, Tk]
        Tensor m5 = mask == null ? null : mask.unsqueeze(1);          // [B, 1, 1, T, Tk]
        Tensor probs = be.softmax(scores, scale, m5);                 // softmax(scale * scores + mask)
        Tensor out = be.matmul(probs, v.unsqueeze(2));                // [B, KV, g, T, hd]
        return out.reshape(b, h, t, hd);                              // contiguous: a view
    }

    /** Additive mask [B, 1, T, Tk]: key j is visible to query i when it is valid and (causal) j <= start + i. */
    public static Tensor mask(int batch, int t, int tk, int start, boolean causal, boolean[][] keyValid) {
        Tensor m = Tensor.zeros(batch, 1, t, tk);
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < tk; j++) {
                    boolean visible = (!causal || j <= start + i) && (keyValid == null || keyValid[bi][j]);
                    if (!visible) m.setFloat(Float.NEGATIVE_INFINITY, bi, 0, i, j);
                }
            }
        }
        return m;
    }
}
