/*
 * The kernels of cuda/ with tensors in and out: shape checks, operand placement (DeviceMemory.input) and the
 * mapping from tensor shapes to launcher arguments, written once for every device. A DeviceKernels over the
 * emulated ABI and host memory is what the tests run (EmulatedDevice.kernels()); the CUDA backend uses one over
 * the nvcc build and managed memory on a GPU. Results are new contiguous tensors from DeviceMemory.empty. A
 * non-zero launcher code throws KernelLaunchException.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.util.Arrays;

public final class DeviceKernels {
    private static final int CUDA_ERROR_LAUNCH_FAILURE = 719;

    private final KernelAbi abi;
    private final DeviceMemory memory;

    public DeviceKernels(KernelAbi abi, DeviceMemory memory) {
        this.abi = abi;
        this.memory = memory;
    }

    public DeviceMemory memory() { return memory; }

    /**
     * Backend.softmax(x, scale, mask) by the softmax_rows kernel: x [..., cols]; mask null or a tensor whose
     * shape, after dropping leading 1s, equals the trailing dims of x (a [T, T] mask for x [B, H, T, T], a
     * [1, cols] row). An all -inf row gives zeros.
     */
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        if (x.rank() < 1) throw new IllegalArgumentException("softmax needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor in = f32(x);
        Tensor m = mask == null ? null : f32(rowMask(mask, x.shape()));
        Tensor out = memory.empty(DType.F32, x.shape());
        int maskRows = m == null ? 0 : (int) (m.numel() / Math.max(cols, 1));
        check("pn_softmax_rows", abi.softmaxRows(floats(in), m == null ? null : floats(m), floats(out),
                rows, cols, maskRows, scale, memory.stream()));
        return out;
    }

    /**
     * For each query row, the k keys of highest cosine similarity, by value then lower index:
     * queries [nq, d], keys [nk, d] -> values [nq, k] (F32) and indices [nq, k] (I64).
     * Zero vectors have similarity 0. k > nk, or (d + nk) floats beyond 48 KiB, is a KernelLaunchException
     * with code 1 (cudaErrorInvalidValue).
     */
    public Backend.TopK cosineTopk(Tensor queries, Tensor keys, int k) {
        if (queries.rank() != 2 || keys.rank() != 2 || queries.size(1) != keys.size(1)) {
            throw new IllegalArgumentException("cosineTopk expects queries [nq, d] and keys [nk, d], got "
                    + Arrays.toString(queries.shape()) + " and " + Arrays.toString(keys.shape()));
        }
        int nq = queries.size(0), nk = keys.size(0), d = queries.size(1);
        Tensor q = f32(queries), kt = f32(keys);
        Tensor values = memory.empty(DType.F32, nq, Math.max(k, 0));
        Tensor indices = memory.empty(DType.I32, nq, Math.max(k, 0));
        check("pn_cosine_topk", abi.cosineTopk(floats(q), floats(kt), nq, nk, d, k, ints(indices), floats(values),
                memory.stream()));
        memory.synchronize();
        return new Backend.TopK(values, indices.to(DType.I64));
    }

    // ---------------------------------------------------------------------------------------- attention

    /** attentionForward's result: out [B, H, T, hd] and each row's log-sum-exp lse [B, H, T] (for the backward). */
    public record AttentionResult(Tensor out, Tensor lse) {}

    /** attentionBackward's result: dq [B, H, T, hd], dk and dv [B, KV, Tk, hd]. */
    public record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {}

    /**
     * Fused attention (attention.cu): {@code Attention.attend(q, k, v, Attention.mask(B, T, Tk, start, causal,
     * keyValid), scale)} without a [T, Tk] score matrix, plus the natural-log log-sum-exp of every row's visible
     * scores. A row that sees no key gets out = 0 and lse = -inf. hd outside 1..128 is a KernelLaunchException with
     * code 1 (cudaErrorInvalidValue).
     *
     * @param q        [B, H, T, hd]
     * @param k        [B, KV, Tk, hd] with H % KV == 0 (query head h reads kv head h / (H / KV)). Read in place when
     *                 it is F32 with contiguous rows evenly strided by hd (e.g. a KV cache narrowed to Tk rows) and v
     *                 has the same batch and head strides; otherwise k and v are made contiguous. Same for q.
     * @param v        [B, KV, Tk, hd]
     * @param keyValid [B, Tk] BOOL, U8, I32 or I64, nonzero = the key may be attended; null = all valid
     * @param causal   query i sees key j only if j <= start + i
     * @param start    position of query 0 among the keys: Tk - T against a KV cache, 0 in training
     */
    public AttentionResult attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal, int start,
                                            float scale) {
        AttentionOperands a = attentionOperands(q, k, v, keyValid);
        Tensor out = memory.empty(DType.F32, a.b(), a.h(), a.t(), a.hd());
        Tensor lse = memory.empty(DType.F32, a.b(), a.h(), a.t());
        check("pn_attention_forward", abi.attentionForward(floats(a.q()), floats(a.k()), floats(a.v()),
                bytes(a.keyValid()), a.b(), a.h(), a.kv(), a.t(), a.tk(), a.hd(), a.qBatchStride(), a.qHeadStride(),
                a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start, scale, floats(out), floats(lse),
                memory.stream()));
        return new AttentionResult(out, lse);
    }

    /**
     * Gradients of {@link #attentionForward} for the upstream gradient dout [B, H, T, hd], given that call's out and
     * lse (same q, k, v, keyValid, causal, start, scale): dq [B, H, T, hd]; dk, dv [B, KV, Tk, hd] with the gradients
     * of the query heads sharing a kv head summed into it. Rows with lse = -inf contribute nothing; keys no query
     * sees get zero gradients. Deterministic (no atomics).
     */
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal, int start,
                                            float scale, Tensor out, Tensor lse, Tensor dout) {
        AttentionOperands a = attentionOperands(q, k, v, keyValid);
        int[] rows = {a.b(), a.h(), a.t(), a.hd()};
        requireShape("out", out, rows);
        requireShape("dout", dout, rows);
        requireShape("lse", lse, a.b(), a.h(), a.t());
        Tensor o = f32(out), l = f32(lse), g = f32(dout);
        Tensor dq = memory.empty(DType.F32, rows);
        Tensor dk = memory.empty(DType.F32, a.b(), a.kv(), a.tk(), a.hd());
        Tensor dv = memory.empty(DType.F32, a.b(), a.kv(), a.tk(), a.hd());
        check("pn_attention_backward", abi.attentionBackward(floats(a.q()), floats(a.k()), floats(a.v()),
                bytes(a.keyValid()), floats(o), floats(l), floats(g), a.b(), a.h(), a.kv(), a.t(), a.tk(), a.hd(),
                a.qBatchStride(), a.qHeadStride(), a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start, scale,
                floats(dq), floats(dk), floats(dv), memory.stream()));
        return new AttentionGrads(dq, dk, dv);
    }

    // q, k, v and the key mask as the attention launchers read them, with the sizes and batch/head strides.
    private record AttentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid, int b, int h, int kv, int t,
                                     int tk, int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                                     long kvHeadStride) {}

    private AttentionOperands attentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid) {
        if (q.rank() != 4 || k.rank() != 4 || !Arrays.equals(k.shape(), v.shape()) || k.size(0) != q.size(0)
                || k.size(3) != q.size(3)) {
            throw new IllegalArgumentException("attention expects q [B, H, T, hd] and k, v [B, KV, Tk, hd], got "
                    + Arrays.toString(q.shape()) + ", " + Arrays.toString(k.shape()) + ", " + Arrays.toString(v.shape()));
        }
        int b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = k.size(1), tk = k.size(2);
        if (kv == 0 || h % kv != 0) {
            throw new IllegalArgumentException(h + " query heads do not group over " + kv + " kv heads");
        }
        if (keyValid != null && (keyValid.dtype().isFloating() || !Arrays.equals(keyValid.shape(), new int[]{b, tk}))) {
            throw new IllegalArgumentException("keyValid must be a [" + b + ", " + tk + "] BOOL/U8/I32/I64 tensor, got "
                    + keyValid.dtype() + " " + Arrays.toString(keyValid.shape()));
        }
        Tensor qd = rowsOperand(q), kd = rowsOperand(k), vd = rowsOperand(v);
        if (headStride(kd, 0) != headStride(vd, 0) || headStride(kd, 1) != headStride(vd, 1)) {
            kd = f32(k);   // one stride pair serves k and v: both contiguous
            vd = f32(v);
        }
        Tensor valid = keyValid == null ? null : memory.input(keyValid, DType.BOOL);
        return new AttentionOperands(qd, kd, vd, valid, b, h, kv, t, tk, hd, headStride(qd, 0), headStride(qd, 1),
                headStride(kd, 0), headStride(kd, 1));
    }

    // t [.., .., rows, hd] as the attention kernels can read it: itself (its storage placed in device memory) when
    // it is F32 with rows contiguous and evenly strided by hd and non-negative batch/head strides, else a
    // contiguous F32 copy.
    private Tensor rowsOperand(Tensor t) {
        int rows = t.size(2), hd = t.size(3);
        boolean readable = t.dtype() == DType.F32 && (hd <= 1 || t.stride(3) == 1) && (rows <= 1 || t.stride(2) == hd)
                && t.stride(0) >= 0 && t.stride(1) >= 0;
        if (!readable) return f32(t);
        Tensor whole = Tensor.of(t.storage(), t.storage().length());
        Tensor placed = memory.input(whole, DType.F32);
        return placed == whole ? t : Tensor.view(placed.storage(), t.shape(), t.strides(), t.offset());
    }

    // Stride of dim 0 (batch) or 1 (head) in elements; 0 for a size-1 dim, whose stride is never used.
    private static long headStride(Tensor t, int dim) {
        return t.size(dim) == 1 ? 0 : t.stride(dim);
    }

    private static void requireShape(String name, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " must be " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(t.shape()));
        }
    }

    private static BytePointer bytes(Tensor t) {
        return t == null ? null : new BytePointer(t.storage().pointer()).position(t.offset());
    }

    // The mask as a tensor whose contiguous [maskRows, cols] rows repeat along the rows of x.
    private static Tensor rowMask(Tensor mask, int[] xShape) {
        int[] s = mask.shape();
        int lead = 0;
        while (lead < s.length && s[lead] == 1 && s.length - lead > 1) lead++;
        int[] core = Arrays.copyOfRange(s, lead, s.length);
        int[] tail = Arrays.copyOfRange(xShape, Math.max(0, xShape.length - core.length), xShape.length);
        if (core.length == 0 || core.length > xShape.length || !Arrays.equals(core, tail)) {
            throw new IllegalArgumentException("mask " + Arrays.toString(s) + " must equal the trailing dims of x "
                    + Arrays.toString(xShape) + " (after leading 1s)");
        }
        return mask;
    }

    /** t as a contiguous F32 tensor the device can read (F16/BF16 inputs are widened). */
    Tensor f32(Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + t.dtype());
        return memory.input(t, DType.F32);
    }

    static FloatPointer floats(Tensor t) {
        return new FloatPointer(t.storage().pointer()).position(t.offset());
    }

    static IntPointer ints(Tensor t) {
        return new IntPointer(t.storage().pointer()).position(t.offset());
    }

    void check(String kernel, int code) {
        if (code != 0) {
            throw new KernelLaunchException(kernel, code, code == CUDA_ERROR_LAUNCH_FAILURE ? abi.lastMessage() : "");
        }
    }
}
