/*
 * Fused scaled dot-product attention on the CPU, forward and backward (FusedAttention; docs/kernels.md,
 * "Attention on the CPU"). Same semantics as the composition that defines Backend.attention
 * (ScaledDotProductAttention), without its [B, H, T, Tk] intermediates:
 *
 *   forward   per query head and block of ≤ 64 query rows: S = Q·Kᵀ (one GEMM), P = softmax(scale·S + mask) row
 *             by row in float with a double sum, lse = max + log Σ, O = P·V (one GEMM)
 *   backward  from the saved lse, per block: P = exp(scale·S − lse) recomputed, dV += Pᵀ·dO, dP = dO·Vᵀ,
 *             dS = scale·P∘(dP − D) with D_i = Σ_d dO_id·O_id, dQ = dS·K, dK += dSᵀ·Q  (five GEMMs)
 *
 * Only the keys a block can see are touched: with a causal mask the block of rows [i0, i1) needs keys up to
 * start + i1, so the masked half of a causal score matrix is neither multiplied nor exponentiated. Work is split
 * over kv heads × batch (a task owns its kv head's dK and dV, summing its grouped query heads); the block's score
 * matrix lives in a per-task buffer. GEMMs inside a task run on that task's thread (Parallel does not nest).
 * A query that sees no key gets a zero output row, lse = -inf and no gradient, as in the composition.
 *
 * Without padding, a block's row softmax runs in the native kernel of CpuKernels.softmaxRows when perennial-native
 * provides it (in place in the block's buffer, the same semantics), and so do the backward's rows (P and dS from S,
 * dP, lse and D: CpuKernels.attentionBackwardRows) instead of a scalar Java loop with one expf per score. Decode
 * steps (runs of at most ROW_KERNEL_ROWS query rows, no padding) go row by row to the native kernel of
 * CpuKernels.attendRow when perennial-native provides it: one pass over the cached keys and values per row, instead
 * of two one-row GEMMs and a scalar softmax in Java. That kernel reads a BF16/F16 cache in place (a half-precision
 * model's KV cache, docs/architecture.md "KV cache precision"); every other path widens half k and v to float32.
 */
package dev.perennial.tensor;

final class CpuAttention {
    private static final int BLOCK = 64;
    /** Query runs up to this long (decode steps) take the native row kernel when there is one. */
    private static final int ROW_KERNEL_ROWS = 4;

    private final Gemm gemm;

    CpuAttention(Gemm gemm) {
        this.gemm = gemm;
    }

    /** q, k, v with unit stride in their last dim (a copy otherwise), F32. */
    private static Tensor rows(Tensor t) {
        if (t.dtype() == DType.F32 && t.stride(-1) == 1) return t;
        Tensor c = Tensor.empty(DType.F32, t.shape());
        c.copyFrom(t);
        return c;
    }

    /** The geometry of one attention call. */
    private record Problem(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale,
                           int b, int h, int kv, int t, int tk, int hd) {
        int group() { return h / kv; }

        /** Keys visible to some row of [i0, i1) form a prefix [0, end). */
        int keyEnd(int i1) {
            return mask != null && mask.isCausal() ? Math.max(0, Math.min(tk, mask.start() + i1)) : tk;
        }

        /** Row i sees no key at or after this one (the causal limit, within [0, end)). */
        int rowEnd(int i, int end) {
            return mask != null && mask.isCausal() ? Math.max(0, Math.min(end, mask.start() + i + 1)) : end;
        }

        /** Whether key j of batch row bi is valid (padding), before the causal rule. */
        boolean valid(int bi, int j) {
            return mask == null || mask.keyValid(bi, j);
        }

        boolean padded() { return mask != null && mask.hasKeyValidity(); }

        int qAt(int bi, int hi, int i) { return q.offset() + bi * q.stride(0) + hi * q.stride(1) + i * q.stride(2); }
        int kAt(int bi, int ki, int j) { return k.offset() + bi * k.stride(0) + ki * k.stride(1) + j * k.stride(2); }
        int vAt(int bi, int ki, int j) { return v.offset() + bi * v.stride(0) + ki * v.stride(1) + j * v.stride(2); }
    }

    private static Problem problem(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return problem(q, k, v, mask, scale, false);
    }

    /** With halfKv, F16/BF16 k and v (both the same dtype, unit last stride) are kept as they are (the row kernel). */
    private static Problem problem(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale, boolean halfKv) {
        ScaledDotProductAttention.checkShapes(q, k, v);
        boolean keep = halfKv && k.dtype() == v.dtype() && (k.dtype() == DType.BF16 || k.dtype() == DType.F16)
                && k.stride(-1) == 1 && v.stride(-1) == 1;
        Tensor q1 = rows(q), k1 = keep ? k : rows(k), v1 = keep ? v : rows(v);
        if (mask != null && mask.hasKeyValidity()) mask.checkShape(q.size(0), k.size(2));
        return new Problem(q1, k1, v1, mask, scale, q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3));
    }

    FusedAttention.Forward forward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        // a decode step over a half-precision KV cache reads it in place through the row kernel (no F32 copy)
        boolean rowKernel = q.rank() == 4 && q.size(2) <= ROW_KERNEL_ROWS && (mask == null || !mask.hasKeyValidity())
                && CpuKernels.available() != null;
        Problem p = problem(q, k, v, mask, scale, rowKernel);
        Tensor out = Tensor.empty(DType.F32, p.b, p.h, p.t, p.hd);        // [B, H, T, hd]
        Tensor lse = Tensor.empty(DType.F32, p.b, p.h, p.t);               // [B, H, T]
        long cost = (long) p.group() * p.t * p.tk * (2L * p.hd + 8);
        Parallel.forRows(p.b * p.kv, cost, (r0, r1) -> {
            float[] s = new float[Math.min(BLOCK, p.t) * p.tk];
            Storage scores = Storage.allocateUninitialized(DType.F32, (long) Math.min(BLOCK, p.t) * p.tk);
            try {
                for (int r = r0; r < r1; r++) {
                    int bi = r / p.kv, ki = r % p.kv;
                    for (int hi = ki * p.group(); hi < (ki + 1) * p.group(); hi++) forwardHead(p, bi, hi, ki, scores, s, out, lse);
                }
            } finally {
                scores.close();
            }
        });
        return new FusedAttention.Forward(out, lse);
    }

    private void forwardHead(Problem p, int bi, int hi, int ki, Storage scores, float[] s, Tensor out, Tensor lse) {
        if (p.t <= ROW_KERNEL_ROWS && !p.padded() && forwardRows(p, bi, hi, ki, scores, out, lse)) return;
        java.nio.FloatBuffer sf = scores.floats(), lf = lse.storage().floats(), of = out.storage().floats();
        int oRow = (bi * p.h + hi) * p.t;                                   // row index into out [B*H*T, hd]
        for (int i0 = 0; i0 < p.t; i0 += BLOCK) {
            int rows = Math.min(BLOCK, p.t - i0), end = p.keyEnd(i0 + rows);
            if (end > 0) {
                gemm.sgemm(false, true, rows, end, p.hd, 1f, p.q.storage(), p.qAt(bi, hi, i0), p.q.stride(2),
                        p.k.storage(), p.kAt(bi, ki, 0), p.k.stride(2), 0f, scores, 0, end);
                CpuKernels kernels = CpuKernels.available();
                boolean causal = p.mask != null && p.mask.isCausal();
                if (kernels != null && !p.padded() && kernels.softmaxRows(scores.address(), end, rows, causal,
                        causal ? p.mask.start() + i0 + 1 : end, p.scale, lse.storage().address() + 4L * (oRow + i0))) {
                    gemm.sgemm(false, false, rows, p.hd, end, 1f, scores, 0, end, p.v.storage(), p.vAt(bi, ki, 0), p.v.stride(2),
                            0f, out.storage(), (oRow + i0) * p.hd, p.hd);
                    continue;                                                // the native row softmax (CpuKernels)
                }
                sf.get(0, s, 0, rows * end);
            }
            for (int r = 0; r < rows; r++) {
                int i = i0 + r, at = r * end, lim = p.rowEnd(i, end);
                float max = Float.NEGATIVE_INFINITY;
                boolean padded = p.padded();
                for (int j = 0; j < lim; j++) {
                    float x = padded && !p.valid(bi, j) ? Float.NEGATIVE_INFINITY : p.scale * s[at + j];
                    s[at + j] = x;
                    max = Math.max(max, x);                                  // NaN propagates, as in the composition
                }
                for (int j = lim; j < end; j++) s[at + j] = 0f;              // after the causal limit
                if (max == Float.NEGATIVE_INFINITY) {                        // sees no key
                    for (int j = 0; j < lim; j++) s[at + j] = 0f;
                    lf.put(oRow + i, Float.NEGATIVE_INFINITY);
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < lim; j++) sum += s[at + j] = MathFunctions.expf(s[at + j] - max);
                float inv = (float) (1 / sum);
                for (int j = 0; j < lim; j++) s[at + j] *= inv;
                lf.put(oRow + i, (float) (max + Math.log(sum)));
            }
            if (end == 0) {
                for (int r = 0; r < rows; r++) {
                    for (int d = 0; d < p.hd; d++) of.put((oRow + i0 + r) * p.hd + d, 0f);
                    lf.put(oRow + i0 + r, Float.NEGATIVE_INFINITY);
                }
                continue;
            }
            sf.put(0, s, 0, rows * end);
            gemm.sgemm(false, false, rows, p.hd, end, 1f, scores, 0, end, p.v.storage(), p.vAt(bi, ki, 0), p.v.stride(2),
                    0f, out.storage(), (oRow + i0) * p.hd, p.hd);
        }
    }

    /**
     * A short run of query rows (a decode step's one) through the native row kernel (CpuKernels.attendRow), each row
     * over the keys it sees: the whole run is a stream over the cached K and V rows. False without the kernel.
     */
    private static boolean forwardRows(Problem p, int bi, int hi, int ki, Storage scores, Tensor out, Tensor lse) {
        CpuKernels kernels = CpuKernels.available();
        if (kernels == null) return false;
        int end = p.keyEnd(p.t), oRow = (bi * p.h + hi) * p.t;
        long qa = p.q.storage().address(), ka = p.k.storage().address(), va = p.v.storage().address();
        long oa = out.storage().address(), la = lse.storage().address(), sa = scores.address();
        DType kvType = p.k.dtype();                                          // F32, or a half cache read in place
        long es = kvType.byteSize();
        for (int i = 0; i < p.t; i++) {
            int lim = p.rowEnd(i, end);
            if (!kernels.attendRow(kvType, qa + 4L * p.qAt(bi, hi, i), ka + es * p.kAt(bi, ki, 0), p.k.stride(2),
                    va + es * p.vAt(bi, ki, 0), p.v.stride(2), lim, p.hd, p.scale, sa, oa + 4L * (oRow + i) * p.hd,
                    la + 4L * (oRow + i))) {
                if (i == 0 && kvType == DType.F32) return false;                // the blocked path takes it
                throw new IllegalStateException(kernels.name() + " refused attention row " + i + " over a " + kvType + " cache");
            }
        }
        return true;
    }

    FusedAttention.Gradients backward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale,
                                      FusedAttention.Forward fwd, Tensor dOut) {
        Problem p = problem(q, k, v, mask, scale);
        Tensor dO = rows(dOut).contiguous(), o = fwd.out().contiguous(), lse = fwd.lse().contiguous();
        Tensor dq = Tensor.empty(DType.F32, p.b, p.h, p.t, p.hd);
        Tensor dk = Tensor.zeros(DType.F32, p.b, p.kv, p.tk, p.hd), dv = Tensor.zeros(DType.F32, p.b, p.kv, p.tk, p.hd);
        long cost = (long) p.group() * p.t * p.tk * (5L * p.hd + 12);
        Parallel.forRows(p.b * p.kv, cost, (r0, r1) -> {
            int cap = Math.min(BLOCK, p.t) * p.tk;
            float[] s = new float[cap], dp = new float[cap];
            Storage sBuf = Storage.allocateUninitialized(DType.F32, cap), dpBuf = Storage.allocateUninitialized(DType.F32, cap);
            Storage dBuf = Storage.allocateUninitialized(DType.F32, BLOCK);
            try {
                for (int r = r0; r < r1; r++) {
                    int bi = r / p.kv, ki = r % p.kv;
                    for (int hi = ki * p.group(); hi < (ki + 1) * p.group(); hi++) {
                        backwardHead(p, bi, hi, ki, dO, o, lse, dq, dk, dv, sBuf, dpBuf, dBuf, s, dp);
                    }
                }
            } finally {
                sBuf.close();
                dpBuf.close();
                dBuf.close();
            }
        });
        return new FusedAttention.Gradients(dq, dk, dv);
    }

    private void backwardHead(Problem p, int bi, int hi, int ki, Tensor dO, Tensor o, Tensor lse, Tensor dq, Tensor dk,
                              Tensor dv, Storage sBuf, Storage dpBuf, Storage dBuf, float[] s, float[] dp) {
        java.nio.FloatBuffer sf = sBuf.floats(), dpf = dpBuf.floats(), lf = lse.storage().floats();
        java.nio.FloatBuffer of = o.storage().floats(), gf = dO.storage().floats();
        int row = (bi * p.h + hi) * p.t;                                     // row index into [B*H*T, hd] tensors
        int kvAt = (bi * p.kv + ki) * p.tk * p.hd;                          // dk, dv [B, KV, Tk, hd] contiguous
        for (int i0 = 0; i0 < p.t; i0 += BLOCK) {
            int rows = Math.min(BLOCK, p.t - i0), end = p.keyEnd(i0 + rows);
            int dqAt = (row + i0) * p.hd, gAt = dO.offset() + (row + i0) * p.hd;
            if (end == 0) {
                for (int x = 0; x < rows * p.hd; x++) dq.storage().floats().put(dqAt + x, 0f);
                continue;
            }
            gemm.sgemm(false, true, rows, end, p.hd, 1f, p.q.storage(), p.qAt(bi, hi, i0), p.q.stride(2),
                    p.k.storage(), p.kAt(bi, ki, 0), p.k.stride(2), 0f, sBuf, 0, end);                 // S
            gemm.sgemm(false, true, rows, end, p.hd, 1f, dO.storage(), gAt, p.hd,
                    p.v.storage(), p.vAt(bi, ki, 0), p.v.stride(2), 0f, dpBuf, 0, end);               // dP = dO·Vᵀ
            if (!nativeRows(p, i0, rows, end, dO, gAt, o, lse, row, sBuf, dpBuf, dBuf)) javaRows(p, bi, i0, rows,
                    end, gAt, gf, of, o, lf, lse, row, sf, dpf, s, dp);
            gemm.sgemm(true, false, end, p.hd, rows, 1f, sBuf, 0, end, dO.storage(), gAt, p.hd,
                    1f, dv.storage(), kvAt, p.hd);                                                    // dV += Pᵀ·dO
            gemm.sgemm(false, false, rows, p.hd, end, 1f, dpBuf, 0, end, p.k.storage(), p.kAt(bi, ki, 0), p.k.stride(2),
                    0f, dq.storage(), dqAt, p.hd);                                                    // dQ = dS·K
            gemm.sgemm(true, false, end, p.hd, rows, 1f, dpBuf, 0, end, p.q.storage(), p.qAt(bi, hi, i0), p.q.stride(2),
                    1f, dk.storage(), kvAt, p.hd);                                                    // dK += dSᵀ·Q
        }
    }

    /** D_i = dO_i · O_i in double, rounded to float (the same value on both paths). */
    private static float rowDot(Problem p, java.nio.FloatBuffer gf, int gi, java.nio.FloatBuffer of, int oi) {
        double d = 0;
        for (int x = 0; x < p.hd; x++) d += (double) gf.get(gi + x) * of.get(oi + x);
        return (float) d;
    }

    /**
     * P and dS of a block's rows in place in the native buffers through CpuKernels.attentionBackwardRows (no padding);
     * false without the kernel.
     */
    private static boolean nativeRows(Problem p, int i0, int rows, int end, Tensor dO, int gAt, Tensor o,
                                      Tensor lse, int row, Storage sBuf, Storage dpBuf, Storage dBuf) {
        CpuKernels kernels = CpuKernels.available();
        if (kernels == null || p.padded()) return false;
        java.nio.FloatBuffer gf = dO.storage().floats(), of = o.storage().floats(), df = dBuf.floats();
        for (int r = 0; r < rows; r++) df.put(r, rowDot(p, gf, gAt + r * p.hd, of, o.offset() + (row + i0 + r) * p.hd));
        boolean causal = p.mask != null && p.mask.isCausal();
        return kernels.attentionBackwardRows(sBuf.address(), dpBuf.address(), end, rows, causal,
                causal ? p.mask.start() + i0 + 1 : end, p.scale, lse.storage().address() + 4L * (lse.offset() + row + i0),
                dBuf.address());
    }

    /** The same rows in Java through float arrays (padding, or no native kernel). */
    private static void javaRows(Problem p, int bi, int i0, int rows, int end, int gAt, java.nio.FloatBuffer gf,
                                 java.nio.FloatBuffer of, Tensor o, java.nio.FloatBuffer lf, Tensor lse, int row,
                                 java.nio.FloatBuffer sf, java.nio.FloatBuffer dpf, float[] s, float[] dp) {
        sf.get(0, s, 0, rows * end);
        dpf.get(0, dp, 0, rows * end);
        for (int r = 0; r < rows; r++) {
            int i = i0 + r, at = r * end, lim = p.rowEnd(i, end);
            float l = lf.get(lse.offset() + row + i);
            if (l == Float.NEGATIVE_INFINITY) {                           // saw no key: no gradient
                for (int j = 0; j < end; j++) s[at + j] = dp[at + j] = 0f;
                continue;
            }
            float df = rowDot(p, gf, gAt + r * p.hd, of, o.offset() + (row + i) * p.hd);   // D_i = dO_i · O_i
            boolean padded = p.padded();
            for (int j = 0; j < lim; j++) {
                float pj = padded && !p.valid(bi, j) ? 0f : MathFunctions.expf(p.scale * s[at + j] - l);
                s[at + j] = pj;                                          // P
                dp[at + j] = p.scale * pj * (dp[at + j] - df);           // dS
            }
            for (int j = lim; j < end; j++) s[at + j] = dp[at + j] = 0f; // after the causal limit
        }
        sf.put(0, s, 0, rows * end);
        dpf.put(0, dp, 0, rows * end);
    }
}
