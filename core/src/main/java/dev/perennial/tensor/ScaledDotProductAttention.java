/*
 * Scaled dot-product attention composed from Backend ops: the definition of Backend.attention and the path every
 * backend without a fused kernel takes (a recording GradBackend differentiates through it op by op).
 *
 * Grouped key/value heads: query head h uses kv head h / (H / KV) (docs/methods/llava-numerics.md). Instead of repeating K
 * and V, the query heads are viewed as [B, KV, g, T, hd] and multiplied against K/V with a broadcast size-1 group
 * dim, so grouped heads share one K/V in memory. Scores are scaled inside the fused softmax with the additive form
 * of the mask (-inf = masked; a fully masked row gives zero weights instead of NaN).
 */
package dev.perennial.tensor;

final class ScaledDotProductAttention {
    private ScaledDotProductAttention() {}

    /** See Backend.attention. */
    static Tensor compose(Backend be, Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        checkShapes(q, k, v);
        int b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = k.size(1), tk = k.size(2);
        int g = h / kv;
        Tensor q5 = be.contiguous(q).reshape(b, kv, g, t, hd);       // [B, KV, g, T, hd]
        Tensor kT = k.unsqueeze(2).transpose(-1, -2);                 // [B, KV, 1, hd, Tk]
        Tensor scores = be.matmul(q5, kT);                            // [B, KV, g, T, Tk]
        Tensor m = mask == null ? null : mask.additive(b, t, tk);     // [B|1, 1, T, Tk]
        Tensor m5 = m == null ? null : m.unsqueeze(1);                // [B|1, 1, 1, T, Tk]
        Tensor probs = be.softmax(scores, scale, m5);                 // softmax(scale * scores + mask)
        Tensor out = be.matmul(probs, v.unsqueeze(2));                // [B, KV, g, T, hd]
        return out.reshape(b, h, t, hd);                              // contiguous: a view
    }

    /** q [B, H, T, hd], k and v [B, KV, Tk, hd] with H % KV == 0. */
    static void checkShapes(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("attention expects rank-4 q, k, v, got ranks " + q.rank() + ", "
                    + k.rank() + ", " + v.rank());
        }
        int b = q.size(0), h = q.size(1), hd = q.size(3), kv = k.size(1);
        if (k.size(0) != b || v.size(0) != b || k.size(3) != hd || v.size(3) != hd || v.size(1) != kv
                || v.size(2) != k.size(2)) {
            throw new IllegalArgumentException("attention shapes do not agree: q " + java.util.Arrays.toString(q.shape())
                    + ", k " + java.util.Arrays.toString(k.shape()) + ", v " + java.util.Arrays.toString(v.shape()));
        }
        if (kv == 0 || h % kv != 0) {
            throw new IllegalArgumentException(h + " query heads do not group over " + kv + " kv heads");
        }
    }
}
