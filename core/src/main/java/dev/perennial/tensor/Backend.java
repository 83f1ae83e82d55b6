/*
 * The operations the LLaVA transformer, training and both continual-learning methods need, written once
 * against this interface (docs/architecture.md, "Backends"). Implementations: ReferenceBackend (plain loops,
 * double accumulation: the definition of every op), CpuBackend (OpenBLAS GEMM, parallel fused loops) and, in
 * perennial-native, CudaBackend (kernels of cuda/, on a GPU or the emulated device). Every implementation is
 * checked against ReferenceBackend by the op test table (OpTableTest).
 *
 * Conventions shared by all implementations:
 *  - Inputs may be any strided view (transposed, narrowed, expanded). Outputs are new contiguous tensors.
 *  - Floating inputs may be F32, F16 or BF16; results are F32. Index inputs are I64 or I32.
 *  - Binary element-wise ops broadcast with NumPy rules.
 *  - Row-wise ops (softmax, norms, argmax, top-k, cross-entropy) work on the last dimension.
 *  - NaN ordering for argmax/top-k: NaN ranks below every number; ties go to the lower index.
 */
package dev.perennial.tensor;

import java.util.List;

/**
 * The tensor operations the LLaVA model, training and the continual-learning methods are written against (GEMM,
 * element-wise, row-wise, attention, indexing, reductions, memory placement). Inputs may be strided views in F32, F16
 * or BF16 (ids I64 or I32); floating results are new contiguous F32 tensors; binary ops broadcast as in NumPy and
 * row-wise ops work on the last dimension.
 * <p>Thread-safety depends on the implementation: {@code ReferenceBackend} and {@link CpuBackend} keep no per-call
 * state and may be shared between threads, while {@code GradBackend} records onto an unsynchronized {@code Tape} and
 * must stay confined to one thread.
 */
public interface Backend {

    /** Short name used in logs and test names. */
    String name();

    // ------------------------------------------------------------------------------------------- GEMM

    /**
     * Batched matrix product: a [..., M, K] x b [..., K, N] -> [..., M, N]; batch dims broadcast.
     * A transposed view (e.g. {@code w.transpose(-1, -2)} of a [N, K] weight) is read in place.
     * b may be F16/BF16: it is widened tile by tile, never copied whole.
     */
    Tensor matmul(Tensor a, Tensor b);

    /**
     * x itself when contiguous, else a contiguous copy. Model code copies through this op (not
     * Tensor.contiguous()) so that a recording backend sees the copy and gradients flow through it.
     */
    Tensor contiguous(Tensor x);

    // ------------------------------------------------------------------------------------------- element-wise

    Tensor add(Tensor a, Tensor b);
    Tensor sub(Tensor a, Tensor b);
    Tensor mul(Tensor a, Tensor b);
    Tensor div(Tensor a, Tensor b);

    /** a * s */
    Tensor scale(Tensor a, float s);

    Tensor exp(Tensor a);
    Tensor log(Tensor a);
    Tensor sqrt(Tensor a);
    Tensor tanh(Tensor a);
    Tensor erf(Tensor a);

    /** Exact GELU: x/2 * (1 + erf(x / sqrt 2)) (LLaVA projector). */
    Tensor gelu(Tensor a);

    /** Tanh-approximated GELU: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))). */
    Tensor geluTanh(Tensor a);

    /** x * sigmoid(1.702 x) (CLIP). */
    Tensor quickGelu(Tensor a);

    /** x * sigmoid(x). */
    Tensor silu(Tensor a);

    /** silu(gate) * up (LLaMA MLP); shapes broadcast. */
    Tensor swiglu(Tensor gate, Tensor up);

    // ------------------------------------------------------------------------------------------- row-wise

    /**
     * Softmax over the last dim of scale * x + mask (mask additive, broadcastable to x, may be null): the fused
     * form attention uses, with no scaled or masked copy of x. A row whose entries are all -inf gives zeros
     * (not NaN).
     */
    Tensor softmax(Tensor x, float scale, Tensor mask);

    /** softmax(x, 1, mask). */
    default Tensor softmax(Tensor x, Tensor mask) {
        return softmax(x, 1f, mask);
    }

    /** log(softmax(x + mask)); an all -inf row gives -inf everywhere. */
    Tensor logSoftmax(Tensor x, Tensor mask);

    /** (x - mean) / sqrt(var + eps) * weight + bias over the last dim; weight and bias [D] may be null. */
    Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps);

    /** x * rsqrt(mean(x^2) + eps) * weight over the last dim (LLaMA); weight [D] may be null. */
    Tensor rmsNorm(Tensor x, Tensor weight, float eps);

    /**
     * Scaled dot-product attention with grouped key/value heads: q [B, H, T, hd], k and v [B, KV, Tk, hd]
     * (H % KV == 0; query head h reads kv head h / (H / KV); k/v may be views of a KV cache) -> [B, H, T, hd]:
     * out_i = sum_j softmax_j(scale * q_i.k_j over the keys the mask lets query i see) v_j. A query that sees no
     * key gets a zero row. The default composes matmul and the fused softmax; backends with a fused kernel
     * override it (and implement FusedAttention for the backward).
     */
    default Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return ScaledDotProductAttention.compose(this, q, k, v, mask, scale);
    }

    /**
     * Rotary position embedding, rotate-half (HF Llama, non-interleaved) layout.
     * x [B, H, T, hd] (hd even); positions [T] or [B, T] (I64/I32); inv_freq_i = theta^(-2i/hd).
     * out[..., i] = x_i cos - x_{i+hd/2} sin, out[..., i+hd/2] = x_{i+hd/2} cos + x_i sin.
     */
    Tensor rope(Tensor x, Tensor positions, float theta);

    // ------------------------------------------------------------------------------------------- indexing

    /** Rows of table [V, D] picked by ids [...] -> [..., D] (F32). An id outside [0, V) is an error. */
    Tensor embedding(Tensor table, Tensor ids);

    /** Joins tensors along dim; all other dims must match. */
    Tensor concat(List<Tensor> parts, int dim);

    /** Views of consecutive pieces of the given sizes along dim (sizes must sum to the dim size). */
    List<Tensor> split(Tensor x, int[] sizes, int dim);

    /** Joins equal-shaped tensors along a new dim. */
    Tensor stack(List<Tensor> parts, int dim);

    // ------------------------------------------------------------------------------------------- reductions

    Tensor sum(Tensor x, int dim, boolean keepDim);
    Tensor mean(Tensor x, int dim, boolean keepDim);
    Tensor max(Tensor x, int dim, boolean keepDim);

    /** Index of the largest element of each last-dim row (I64), [..., N] -> [...]. */
    Tensor argmax(Tensor x);

    /** The k largest entries of each last-dim row, by value then lower index. */
    TopK topk(Tensor x, int k);

    /**
     * Per-row cross-entropy: logits [N, V], targets [N] (I64/I32) -> [N] with
     * -log softmax(logits[n])[targets[n]], and 0 where targets[n] == ignoreIndex.
     */
    Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex);

    /** Values [..., k] (F32) and indices [..., k] (I64) of a top-k selection. */
    // ------------------------------------------------------------------------------------------- op table

    /**
     * The accelerated operations this backend implements itself (Op, OpTable): fused attention and backward
     * kernels, optimizer and selection kernels. Empty by default: callers then use each Op's fallback.
     */
    default OpTable ops() { return OpTable.EMPTY; }

    // ------------------------------------------------------------------------------------------- memory
    // Where tensors live. On the host these are plain allocations and copies; a device backend allocates in
    // device memory, so that parameters, optimizer state, a KV cache and a step's inputs are copied in once
    // instead of at every kernel that reads them (docs/architecture.md, "Device residency").

    /** t in this backend's memory: t itself on the host; on a device a copy (t stays valid and unchanged). */
    default Tensor place(Tensor t) { return t; }

    /** A new zero-filled tensor in this backend's memory. */
    default Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    /** Copies src into dst (equal shapes; dst may be any writable view, such as the next slots of a KV cache). */
    default void copyInto(Tensor dst, Tensor src) { dst.copyFrom(src); }

    /**
     * The dtype a KV cache keeps on this backend for a model whose key and value projections are stored as
     * {@code weights}: float32, unless this backend's attention reads a half-precision cache in place; then a
     * BF16/F16 model's cache takes the weights' dtype, as Hugging Face keeps a half model's cache, and a decode step
     * reads half the bytes (docs/architecture.md, "KV cache precision").
     */
    default DType kvCacheType(DType weights) { return DType.F32; }

    /**
     * An inverted-dropout mask [shape] in this backend's memory: 0 with probability p, else 1/(1 − p), drawn as
     * DropoutMask defines from {@code seed} (the same mask on every backend).
     */
    default Tensor dropoutMask(int[] shape, float p, long seed) { return DropoutMask.host(shape, p, seed); }

    record TopK(Tensor values, Tensor indices) {}
}
