/*
 * Attention in one fused kernel (FlashAttention-2 style: no T x Tk matrix in memory) and its backward from the
 * saved row log-sum-exp, as an Op (docs/architecture.md, "Ops with a home"): CpuBackend (CpuAttention) and
 * CudaBackend (attention.cu) register it. The recording GradBackend uses it when its inner backend offers it, so
 * training keeps the fused backward instead of differentiating the composed form.
 * Semantics are exactly Backend.attention's; lse is log sum_j exp(scale * q_i.k_j) over the visible keys,
 * -inf for a query that sees none (its output row is 0 and it contributes no gradient).
 */
package dev.perennial.tensor;

/**
 * An {@link Op} computing attention in one fused kernel, with no {@code [T, Tk]} score matrix in memory, and its
 * backward from the saved row log-sum-exp: q {@code [B, H, T, hd]}, k and v {@code [B, KV, Tk, hd]} give out
 * {@code [B, H, T, hd]} and lse {@code [B, H, T]}; semantics are exactly {@code Backend.attention}'s.
 * <p>Thread-safety is the implementation's: {@link CpuBackend}'s is thread-safe, as CpuBackend is; CudaBackend
 * (perennial-native) registers its own kernels.
 */
public interface FusedAttention {
    /** The op: registered by the backends that have a fused attention; none elsewhere (compose). */
    Op<FusedAttention> OP = Op.declare("attention", FusedAttention.class, be -> null);

    /** out [B, H, T, hd] and lse [B, H, T]. */
    record Forward(Tensor out, Tensor lse) {}

    /** dq [B, H, T, hd], dk and dv [B, KV, Tk, hd] (grouped heads summed). */
    record Gradients(Tensor dq, Tensor dk, Tensor dv) {}

    Forward attentionForward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale);

    Gradients attentionBackward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale, Forward forward,
                                Tensor dOut);
}
