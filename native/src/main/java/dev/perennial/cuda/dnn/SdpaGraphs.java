/*
 * The cuDNN operation graphs of fused scaled-dot-product attention, forward and backward, built op by op in the
 * form cuDNN's fused flash-attention engines match (the lowering cudnn-frontend's SDPA nodes perform onto the
 * backend API; cuDNN 9.19's unified SDPA operation cannot yet take a causal mask with an offset, which arrives as a
 * subgraph attribute only in 9.21). Forward:
 *
 *   S = Q · Kᵀ (K given as Kᵀ [b, kv, hd, tk]: dims and strides 2 and 3 swapped)  -> S · scale
 *   -> padding: S where (row < SEQ_LEN_Q and col < SEQ_LEN_KV) else -inf            (only with padded keys)
 *   -> causal:  S where (row + start >= col) else -inf                                (only when causal)
 *   -> softmax: M = max_row S, E = exp(S - M), L = sum_row E, Stats = log L + M, P = E / L (P in BF16)
 *   -> O = P · V
 *
 * Backward (inputs Q, Kᵀ, Vᵀ, O, dO, Stats; outputs dQ (F32, cuDNN's dQ accumulator), dK, dV):
 *
 *   D = sum_row(dO ∘ O) (a [b, h, t, 1] F32 tensor in memory); P = exp(masked scaled Q·Kᵀ - Stats);
 *   dV = Pᵀ · dO (Pᵀ a BF16 reshape); dS = P ∘ (dO · Vᵀ - D) · scale (BF16); dK = dSᵀ · Q; dQ = dS · K
 *   (K a reshape of Kᵀ back to [b, kv, tk, hd]); with GQA the dK and dV products are per query head
 *   [b, h, tk, hd] and a reduction adds each group of h / kv heads.
 *
 * Stats is the natural-log log-sum-exp of the scaled, masked scores: the project's lse (attention.h).
 * Only the graphs live here; gpu.CudnnDnn turns them into descriptors, EmulatedDnn runs them on the host.
 */
package dev.perennial.cuda.dnn;

import dev.perennial.cuda.dnn.DnnOp.Matmul;
import dev.perennial.cuda.dnn.DnnOp.Pointwise;
import dev.perennial.cuda.dnn.DnnOp.PointwiseMode;
import dev.perennial.cuda.dnn.DnnOp.Reduction;
import dev.perennial.cuda.dnn.DnnOp.ReductionMode;
import dev.perennial.cuda.dnn.DnnOp.Reshape;

/** Builds the SDPA forward and backward graphs of an {@link SdpaProblem}; the uids below name the bound tensors. */
public final class SdpaGraphs {
    /** Variant-pack uids of the tensors in memory (generated uids start at {@link #FIRST_VIRTUAL}). */
    public static final long Q = 1, K = 2, V = 3, O = 4, STATS = 5, SEQ_LEN_Q = 6, SEQ_LEN_KV = 7, DO = 8, DQ = 9,
            DK = 10, DV = 11, DQ_ACCUM = 12, DOT_DO_O = 13, FIRST_VIRTUAL = 100;

    private SdpaGraphs() {}

    /** Q [b, h, t, hd], Kᵀ, V, O [b, h, t, hd] BF16 and Stats [b, h, t, 1] F32 in memory. */
    public static DnnGraph forward(SdpaProblem p) {
        DnnGraph g = new DnnGraph("sdpa_forward", FIRST_VIRTUAL);
        long b = p.b(), h = p.h(), t = p.t(), tk = p.tk(), hd = p.hd();
        operands(g, p, false);
        g.memory(O, "O", dims(b, h, t, hd), DnnTensor.packed(b, h, t, hd), DnnType.BF16);
        g.memory(STATS, "Stats", dims(b, h, t, 1), new long[]{h * t, t, 1, 1}, DnnType.F32);
        long p16 = probabilities(g, p, "", false);
        g.add(new Matmul("bmm2", p16, V, O, p.padded() ? SEQ_LEN_Q : 0, 0, p.padded() ? SEQ_LEN_KV : 0));
        return g;
    }

    /**
     * Q, Kᵀ, Vᵀ, O, dO BF16 and Stats F32 in; D (DOT_DO_O) [b, h, t, 1] F32 scratch; dQ_accum [b, h, t, hd] F32
     * (the gradient the caller keeps), dQ [b, h, t, hd], dK, dV [b, kv, tk, hd] BF16 out.
     */
    public static DnnGraph backward(SdpaProblem p) {
        DnnGraph g = new DnnGraph("sdpa_backward", FIRST_VIRTUAL);
        long b = p.b(), h = p.h(), kv = p.kv(), t = p.t(), tk = p.tk(), hd = p.hd();
        operands(g, p, true);
        long[] qShape = dims(b, h, t, hd), kvShape = dims(b, kv, tk, hd);
        g.memory(O, "O", qShape, DnnTensor.packed(qShape), DnnType.BF16);
        g.memory(DO, "dO", qShape, DnnTensor.packed(qShape), DnnType.BF16);
        g.memory(STATS, "Stats", dims(b, h, t, 1), new long[]{h * t, t, 1, 1}, DnnType.F32);
        g.memory(DOT_DO_O, "softmax_sum", dims(b, h, t, 1), new long[]{h * t, t, 1, 1}, DnnType.F32);
        g.memory(DQ_ACCUM, "dQ_accum", qShape, DnnTensor.packed(qShape), DnnType.F32);
        g.memory(DQ, "dQ", qShape, DnnTensor.packed(qShape), DnnType.BF16);
        g.memory(DK, "dK", kvShape, DnnTensor.packed(kvShape), DnnType.BF16);
        g.memory(DV, "dV", kvShape, DnnTensor.packed(kvShape), DnnType.BF16);
        long mOverrideQ = p.padded() ? SEQ_LEN_Q : 0, overrideKv = p.padded() ? SEQ_LEN_KV : 0;

        // D = sum over hd of dO * O
        long dOO = g.virtual("dO_O", DnnType.F32, qShape);
        g.add(pw("mul_dO_O", PointwiseMode.MUL, DO, O, dOO));
        g.add(new Reduction("reduce_dO_O", ReductionMode.ADD, dOO, DOT_DO_O));

        // P = exp(masked scaled S - Stats), recomputed from the forward's statistics
        long pF32 = probabilities(g, p, "bwd_", true);

        // dV = Pᵀ · dO
        long pT = g.virtual("P_T", DnnType.BF16, dims(b, h, tk, t), new long[]{h * t * tk, t * tk, 1, tk});
        g.add(new Reshape("reshape_P", pF32, pT));
        headProduct(g, p, "matmul_PT_dO", pT, DO, DV, overrideKv, mOverrideQ, "red_dV_head");

        // dS = P * (dO · Vᵀ - D) * scale
        long dP = g.virtual("dP", DnnType.F32, dims(b, h, t, tk));
        g.add(new Matmul("matmul_dO_VT", DO, V, dP, mOverrideQ, overrideKv, 0));
        long dPmD = g.virtual("dP_minus_D", DnnType.F32, dims(b, h, t, tk));
        g.add(pw("sub_dP_D", PointwiseMode.SUB, dP, DOT_DO_O, dPmD));
        long dSu = g.virtual("dS_unscaled", DnnType.F32, dims(b, h, t, tk));
        g.add(pw("mul_dP_P", PointwiseMode.MUL, dPmD, pF32, dSu));
        long scale = g.scalar("attn_scale_bwd_dS", p.scale());
        long dS = g.virtual("dS", DnnType.BF16, dims(b, h, t, tk));
        g.add(pw("mul_dS_scale", PointwiseMode.MUL, dSu, scale, dS));

        // dK = dSᵀ · Q
        long dST = g.virtual("dS_T", DnnType.BF16, dims(b, h, tk, t), new long[]{h * t * tk, t * tk, 1, tk});
        g.add(new Reshape("reshape_dS", dS, dST));
        headProduct(g, p, "matmul_dST_Q", dST, Q, DK, overrideKv, mOverrideQ, "red_dK_head");

        // dQ = dS · K, into the F32 accumulator, then its BF16 copy
        long[] kt = p.kStrides();
        long kRows = g.virtual("K_rows", DnnType.BF16, kvShape, new long[]{kt[0], kt[1], kt[2], kt[3]});
        g.add(new Reshape("reshape_K", K, kRows));
        g.add(new Matmul("matmul_dS_K", dS, kRows, DQ_ACCUM, mOverrideQ, 0, overrideKv));
        g.add(new Pointwise("identity_dQ", PointwiseMode.IDENTITY, DQ_ACCUM, 0, 0, DQ, DnnType.F32, -1));
        return g;
    }

    // Q, Kᵀ (and Vᵀ for the backward, V otherwise) with the problem's strides, and the sequence lengths.
    private static void operands(DnnGraph g, SdpaProblem p, boolean vTransposed) {
        long b = p.b(), h = p.h(), kv = p.kv(), t = p.t(), tk = p.tk(), hd = p.hd();
        long[] ks = p.kStrides(), vs = p.vStrides();
        g.memory(Q, "Q", dims(b, h, t, hd), p.qStrides(), DnnType.BF16);
        g.memory(K, "K_T", dims(b, kv, hd, tk), new long[]{ks[0], ks[1], ks[3], ks[2]}, DnnType.BF16);
        if (vTransposed) g.memory(V, "V_T", dims(b, kv, hd, tk), new long[]{vs[0], vs[1], vs[3], vs[2]}, DnnType.BF16);
        else g.memory(V, "V", dims(b, kv, tk, hd), vs, DnnType.BF16);
        if (p.padded()) {
            g.memory(SEQ_LEN_Q, "seq_len_q", dims(b, 1, 1, 1), new long[]{1, 1, 1, 1}, DnnType.I32);
            g.memory(SEQ_LEN_KV, "seq_len_kv", dims(b, 1, 1, 1), new long[]{1, 1, 1, 1}, DnnType.I32);
        }
    }

    // The masked, scaled scores and their probabilities: P in BF16 (forward: the softmax, Stats written) or
    // F32 (backward: exp(S - Stats)).
    private static long probabilities(DnnGraph g, SdpaProblem p, String pre, boolean backward) {
        long b = p.b(), h = p.h(), t = p.t(), tk = p.tk();
        long[] sShape = dims(b, h, t, tk), rowShape = dims(b, h, t, 1);
        long s = g.virtual(pre + "S", DnnType.F32, sShape);
        g.add(new Matmul(pre + "bmm1", Q, K, s, p.padded() ? SEQ_LEN_Q : 0, p.padded() ? SEQ_LEN_KV : 0, 0));
        long scaled = g.virtual(pre + "S_scaled", DnnType.F32, sShape);
        g.add(pw(pre + "attn_scale", PointwiseMode.MUL, s, g.scalar(pre + "attn_scale", p.scale()), scaled));
        long last = scaled;
        if (p.padded()) {
            long row = g.virtual(pre + "pad_row", DnnType.I32, sShape), col = g.virtual(pre + "pad_col", DnnType.I32, sShape);
            g.add(new Pointwise(pre + "gen_row_idx_padding", PointwiseMode.GEN_INDEX, last, 0, 0, row, DnnType.I32, 2));
            g.add(new Pointwise(pre + "gen_col_idx_padding", PointwiseMode.GEN_INDEX, last, 0, 0, col, DnnType.I32, 3));
            long rowOk = g.virtual(pre + "pad_row_ok", DnnType.BOOL, sShape), colOk = g.virtual(pre + "pad_col_ok", DnnType.BOOL, sShape);
            g.add(new Pointwise(pre + "lt_row_sq_padding", PointwiseMode.CMP_LT, row, SEQ_LEN_Q, 0, rowOk, DnnType.BOOL, -1));
            g.add(new Pointwise(pre + "lt_col_skv_padding", PointwiseMode.CMP_LT, col, SEQ_LEN_KV, 0, colOk, DnnType.BOOL, -1));
            long ok = g.virtual(pre + "pad_ok", DnnType.BOOL, sShape);
            g.add(new Pointwise(pre + "and_row_col_padding", PointwiseMode.LOGICAL_AND, rowOk, colOk, 0, ok, DnnType.BOOL, -1));
            long out = g.virtual(pre + "S_padded", DnnType.F32, sShape);
            g.add(new Pointwise(pre + "select_padding", PointwiseMode.BINARY_SELECT, last,
                    g.scalar(pre + "padding_value", Float.NEGATIVE_INFINITY), ok, out, DnnType.F32, -1));
            last = out;
        }
        if (p.causal()) {
            long row = g.virtual(pre + "causal_row", DnnType.I32, sShape), col = g.virtual(pre + "causal_col", DnnType.I32, sShape);
            g.add(new Pointwise(pre + "gen_row_index", PointwiseMode.GEN_INDEX, last, 0, 0, row, DnnType.I32, 2));
            g.add(new Pointwise(pre + "gen_col_index", PointwiseMode.GEN_INDEX, last, 0, 0, col, DnnType.I32, 3));
            if (p.start() != 0) {            // the KV-cache offset shifts the diagonal right (frontend: shift_right_bound)
                long shifted = g.virtual(pre + "causal_row_shifted", DnnType.I32, sShape);
                g.add(new Pointwise(pre + "row+start", PointwiseMode.ADD, row, g.scalar(pre + "cache_offset", p.start()),
                        0, shifted, DnnType.I32, 3));
                row = shifted;
            }
            long keep = g.virtual(pre + "causal_keep", DnnType.BOOL, sShape);
            g.add(new Pointwise(pre + "row>=col", PointwiseMode.CMP_GE, row, col, 0, keep, DnnType.BOOL, -1));
            long out = g.virtual(pre + "S_causal", DnnType.F32, sShape);
            g.add(new Pointwise(pre + "select_causal", PointwiseMode.BINARY_SELECT, last,
                    g.scalar(pre + "causal_value", Float.NEGATIVE_INFINITY), keep, out, DnnType.F32, -1));
            last = out;
        }
        if (backward) {
            long z = g.virtual(pre + "S_minus_stats", DnnType.F32, sShape);
            g.add(pw(pre + "sub_s_stats", PointwiseMode.SUB, last, STATS, z));
            long e = g.virtual(pre + "P", DnnType.F32, sShape);
            g.add(pw(pre + "exp_s", PointwiseMode.EXP, z, 0, e));
            return e;
        }
        long max = g.virtual("M", DnnType.F32, rowShape);
        g.add(new Reduction("max", ReductionMode.MAX, last, max));
        long z = g.virtual("S_minus_M", DnnType.F32, sShape);
        g.add(pw("sub_M", PointwiseMode.SUB, last, max, z));
        long e = g.virtual("E", DnnType.F32, sShape);
        g.add(pw("exp", PointwiseMode.EXP, z, 0, e));
        long sum = g.virtual("L", DnnType.F32, rowShape);
        g.add(new Reduction("sum", ReductionMode.ADD, e, sum));
        long log = g.virtual("log_L", DnnType.F32, rowShape);
        g.add(pw("log", PointwiseMode.LOG, sum, 0, log));
        g.add(pw("stats", PointwiseMode.ADD, log, max, STATS));
        long probs = g.virtual("P", DnnType.BF16, sShape);
        g.add(pw("div", PointwiseMode.DIV, e, sum, probs));
        return probs;
    }

    // out [b, kv, tk, hd] = a [b, h, tk, t] · x [b, h, t, hd]: directly for MHA, else per query head and summed
    // over each group of h / kv heads.
    private static void headProduct(DnnGraph g, SdpaProblem p, String name, long a, long x, long out, long mOverride,
                                    long kOverride, String reduction) {
        if (p.h() == p.kv()) {
            g.add(new Matmul(name, a, x, out, mOverride, 0, kOverride));
            return;
        }
        long[] full = dims(p.b(), p.h(), p.tk(), p.hd());
        long perHead = g.virtual(name + "_fullhead", DnnType.F32, full);
        g.add(new Matmul(name, a, x, perHead, mOverride, 0, kOverride));
        g.add(new Reduction(reduction, ReductionMode.ADD, perHead, out));
    }

    private static Pointwise pw(String name, PointwiseMode mode, long x, long b, long y) {
        return new Pointwise(name, mode, x, b, 0, y, DnnType.F32, -1);
    }

    private static long[] dims(long... d) { return d; }
}
