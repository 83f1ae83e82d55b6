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
import dev.perennial.tensor.NormGradients;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

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
     * Backend.softmax(x, scale, mask) by the softmax_rows kernel: x [..., cols]; mask null or broadcastable to x.
     * A mask whose shape, after dropping leading 1s, equals the trailing dims of x (a [T, T] mask for x
     * [B, H, T, T], a [1, cols] row) is read as is; any other broadcast is expanded first. An all -inf row gives
     * zeros.
     */
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        if (x.rank() < 1) throw new IllegalArgumentException("softmax needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor in = f32(x);
        Tensor m = mask == null ? null : f32(rowMask(mask, x.shape()));   // [maskRows, cols] repeating over rows
        Tensor out = memory.empty(DType.F32, x.shape());
        int maskRows = m == null ? 0 : (int) (m.numel() / Math.max(cols, 1));
        check("pn_softmax_rows", abi.softmaxRows(floats(in), m == null ? null : floats(m), floats(out),
                rows, cols, maskRows, scale, memory.stream()));
        return out;
    }

    /**
     * For each query row, the k keys of highest cosine similarity, by value then lower index:
     * queries [nq, d], keys [nk, d] -> values [nq, k] (F32) and indices [nq, k] (I64).
     * Zero vectors have similarity 0. k &lt; 1, k > nk, or k beyond the kernel's shared memory (cosine_topk.h:
     * about 5000) is a KernelLaunchException with code 1 (cudaErrorInvalidValue).
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

    // The mask as a tensor whose contiguous [maskRows, cols] rows repeat along the rows of x: itself when its
    // shape (after leading 1s) equals the trailing dims of x, else expanded to x's shape (a mask broadcast in a
    // middle dim, like [B, 1, 1, T, Tk] against scores [B, KV, g, T, Tk]).
    private static Tensor rowMask(Tensor mask, int[] xShape) {
        int[] s = mask.shape();
        if (s.length <= xShape.length && !fitsTrailing(s, xShape)) {
            int[] b = dev.perennial.tensor.Shapes.broadcast(s, xShape);
            if (Arrays.equals(b, xShape)) return mask.expand(xShape);
        }
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

    private static boolean fitsTrailing(int[] s, int[] xShape) {
        int lead = 0;
        while (lead < s.length && s[lead] == 1 && s.length - lead > 1) lead++;
        int[] core = Arrays.copyOfRange(s, lead, s.length);
        return core.length <= xShape.length
                && Arrays.equals(core, Arrays.copyOfRange(xShape, xShape.length - core.length, xShape.length));
    }

    /**
     * t as a contiguous F32 tensor the device can read. A device tensor is converted on the device (F16/BF16 are
     * widened, a strided view is copied by the strided kernels); a host tensor is copied in (DeviceMemory.input).
     */
    Tensor f32(Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + t.dtype());
        if (memory.holds(t) && t.rank() <= MAX_RANK) {
            if (t.dtype() == DType.F32) return contiguous(t);
            if (t.dtype() == DType.F16 || t.dtype() == DType.BF16) return unary(UnaryOp.COPY, t, 0f);
        }
        return memory.input(t, DType.F32);
    }

    static FloatPointer floats(Tensor t) {
        return new FloatPointer(t.storage().pointer()).position(t.offset());
    }

    static IntPointer ints(Tensor t) {
        return new IntPointer(t.storage().pointer()).position(t.offset());
    }

    // Every launch is followed by DeviceMemory.synchronize(): Java code may read any result through Tensor's host
    // accessors at once (autograd rules, host fallbacks, callers), and those have no hook to wait for the stream.
    // A no-op on the emulated device; on a GPU it trades launch overlap for correctness (asynchronous execution
    // needs a tensor-level "ready" hook: the next step, docs/architecture.md "CUDA backend").
    void check(String kernel, int code) {
        if (code != 0) {
            throw new KernelLaunchException(kernel, code, code == CUDA_ERROR_LAUNCH_FAILURE ? abi.lastMessage() : "");
        }
        memory.synchronize();
    }

    // ------------------------------------------------------------------------------------------- element-wise
    // strided.h, norms.h, rope.h, embedding.h. Floating operands are read in place, whatever their strides, as
    // (storage base pointer, pn_dtype.h code, element offset): F16/BF16 are widened by the kernels, not copied.
    // DeviceMemory.resident makes the storage device-accessible without changing the view (identity on the
    // emulated device; a cached copy of e.g. a memory-mapped weight on a GPU); only other dtypes (F64) and layouts
    // a kernel cannot take go through DeviceMemory.input.

    private static final int MAX_RANK = 6;                                   // PN_STRIDED_MAX_RANK
    private static final int DTYPE_F32 = 0, DTYPE_F16 = 1, DTYPE_BF16 = 2;   // PN_DTYPE_* of pn_dtype.h
    private static final int DTYPE_I32 = 3, DTYPE_I64 = 4;

    /**
     * Backend's unary element-wise ops (exp, log, ..., scale: see UnaryOp) by the strided kernel: x is any view of
     * rank &lt;= 6, read in place when F32/F16/BF16 (F64 is converted first); the result is a new contiguous F32
     * tensor of x's shape. {@code s} is SCALE's factor (ignored by the other ops).
     */
    public Tensor unary(UnaryOp op, Tensor x, float s) {
        requireRank(x.rank());
        Tensor in = floatView(x);
        Tensor out = memory.empty(DType.F32, x.shape());
        try (LongPointer shape = longs(x.shape()); LongPointer strides = longs(in.strides())) {
            check("pn_strided_unary", abi.stridedUnary(op.code(), in.storage().pointer(), dtypeCode(in), in.offset(),
                    strides, shape, in.rank(), s, floats(out), memory.stream()));
        }
        return out;
    }

    /**
     * Backend's binary element-wise ops (add, sub, mul, div, swiglu: see BinaryOp) with NumPy broadcasting: both
     * inputs are read in place through their strides over the broadcast shape (0 where they are stretched), so an
     * expanded or transposed operand is never materialised. Result: new contiguous F32 [broadcast shape].
     */
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        requireRank(shape.length);
        Tensor ta = floatView(a), tb = floatView(b);
        Tensor out = memory.empty(DType.F32, shape);
        try (LongPointer sp = longs(shape); LongPointer as = broadcastStrides(ta, shape);
             LongPointer bs = broadcastStrides(tb, shape)) {
            check("pn_strided_binary", abi.stridedBinary(op.code(), ta.storage().pointer(), dtypeCode(ta), ta.offset(), as,
                    tb.storage().pointer(), dtypeCode(tb), tb.offset(), bs, sp, shape.length, floats(out),
                    memory.stream()));
        }
        return out;
    }

    /**
     * Backend.contiguous: x itself when contiguous, else a contiguous copy of the same dtype made by the strided
     * copy kernel (bit for bit; any dtype, rank &lt;= 6).
     */
    public Tensor contiguous(Tensor x) {
        if (x.isContiguous()) return x;
        requireRank(x.rank());
        Tensor out = memory.empty(x.dtype(), x.shape());
        Tensor in = memory.resident(x);
        try (LongPointer shape = longs(x.shape()); LongPointer strides = longs(x.strides())) {
            check("pn_strided_copy", abi.stridedCopy(in.storage().pointer(), x.dtype().byteSize(), in.offset(), strides,
                    shape, x.rank(), bytesAt(out), memory.stream()));
        }
        return out;
    }

    /**
     * Backend.copyInto: src's elements into the view dst (same shape and dtype; dst in device memory, any strides
     * that do not map two coordinates to one element), by the strided copy kernel, bit for bit.
     */
    public void copyInto(Tensor dst, Tensor src) {
        if (!Arrays.equals(dst.shape(), src.shape())) {
            throw new IllegalArgumentException("copy from " + Arrays.toString(src.shape()) + " into " + Arrays.toString(dst.shape()));
        }
        if (!memory.holds(dst)) throw new IllegalArgumentException("copyInto writes device memory, got a host tensor " + dst);
        if (dst.storage().isReadOnly()) throw new IllegalStateException("tensor is read-only");
        requireRank(dst.rank());
        Tensor in = src.dtype() == dst.dtype() ? memory.resident(src)
                : dst.dtype() == DType.F32 && src.dtype().isFloating() ? f32(src) : memory.input(src, dst.dtype());
        try (LongPointer shape = longs(dst.shape()); LongPointer xs = longs(in.strides()); LongPointer os = longs(dst.strides())) {
            check("pn_strided_copy_to", abi.stridedCopyTo(in.storage().pointer(), dst.dtype().byteSize(), in.offset(), xs,
                    shape, dst.rank(), dst.storage().pointer(), dst.offset(), os, memory.stream()));
        }
        releaseCopy(src, in);
    }

    // Frees `used` at once when it is a copy this call made of `original` (copies of read-only storages are kept
    // by DeviceMemory and stay): copyInto runs outside scopes (a micro-batch's images), where it would wait for GC.
    private static void releaseCopy(Tensor original, Tensor used) {
        if (used.storage() != original.storage() && !original.storage().isReadOnly()) used.close();
    }

    /** Backend.rmsNorm: x [..., d] -> x * rsqrt(mean(x^2) + eps) * weight; weight [d] (F32/F16/BF16) or null. */
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        int d = rowLength(x, "rmsNorm");
        Tensor in = f32(x), w = parameter(weight, d, "weight");
        Tensor out = memory.empty(DType.F32, x.shape());
        check("pn_rms_norm", abi.rmsNorm(floats(in), base(w), dtypeCode(w), offset(w), floats(out), rows(x, d), d, eps,
                memory.stream()));
        return out;
    }

    /**
     * Backend.layerNorm: x [..., d] -> (x - mean) / sqrt(var + eps) * weight + bias (biased variance); weight and
     * bias [d] (F32/F16/BF16) or null.
     */
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int d = rowLength(x, "layerNorm");
        Tensor in = f32(x), w = parameter(weight, d, "weight"), b = parameter(bias, d, "bias");
        Tensor out = memory.empty(DType.F32, x.shape());
        check("pn_layer_norm", abi.layerNorm(floats(in), base(w), dtypeCode(w), offset(w), base(b), dtypeCode(b),
                offset(b), floats(out), rows(x, d), d, eps, memory.stream()));
        return out;
    }

    /**
     * The backward of rmsNorm(x, weight, eps) for the output gradient dy (x's shape): dx, and dweight when weight
     * is given (GradBackend's rule; statistics recomputed from x).
     */
    public NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps) {
        return normBackward(dy, x, weight, false, false, eps);
    }

    /**
     * The backward of layerNorm(x, weight, bias, eps) for dy: dx, dweight when weight is given, dbias when bias is
     * given (its values are not needed, only whether it exists).
     */
    public NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps) {
        return normBackward(dy, x, weight, bias != null, true, eps);
    }

    private NormGradients normBackward(Tensor dy, Tensor x, Tensor weight, boolean biasGrad, boolean layer, float eps) {
        String op = layer ? "layerNormBackward" : "rmsNormBackward";
        int d = rowLength(x, op);
        if (!Arrays.equals(dy.shape(), x.shape())) {
            throw new IllegalArgumentException(op + ": dy " + Arrays.toString(dy.shape()) + " must have x's shape "
                    + Arrays.toString(x.shape()));
        }
        int rows = rows(x, d);
        Tensor g = f32(dy), in = f32(x), w = parameter(weight, d, "weight");
        Tensor dx = memory.empty(DType.F32, x.shape());
        Tensor dw = w == null ? null : memory.empty(DType.F32, d), db = biasGrad ? memory.empty(DType.F32, d) : null;
        Tensor stats = dw != null || db != null ? memory.empty(DType.F32, rows, 3) : null;
        FloatPointer dwp = dw == null ? null : floats(dw), dbp = db == null ? null : floats(db);
        FloatPointer sp = stats == null ? null : floats(stats);
        int code = layer
                ? abi.layerNormBackward(floats(g), floats(in), base(w), dtypeCode(w), offset(w), floats(dx), dwp, dbp, sp,
                        rows, d, eps, memory.stream())
                : abi.rmsNormBackward(floats(g), floats(in), base(w), dtypeCode(w), offset(w), floats(dx), dwp, sp, rows,
                        d, eps, memory.stream());
        check(layer ? "pn_layer_norm_backward" : "pn_rms_norm_backward", code);
        return new NormGradients(dx, dw, db);
    }

    /**
     * Backend.rope (rotate-half layout): x [B, H, T, hd] (an F32 view such as a transposed q is read in place),
     * positions [T] or [B, T] (I64/I32, must fit int32), inv_freq_i = theta^(-2i/hd) -> new contiguous F32.
     */
    public Tensor rope(Tensor x, Tensor positions, float theta) { return rope(x, positions, theta, false); }

    /** The backward of rope: dx = rope(dy, -positions), the rotation by -angle, from the same kernel. */
    public Tensor ropeBackward(Tensor dy, Tensor positions, float theta) { return rope(dy, positions, theta, true); }

    private Tensor rope(Tensor x, Tensor positions, float theta, boolean inverse) {
        if (x.rank() != 4) throw new IllegalArgumentException("rope expects x [B, H, T, hd], got " + Arrays.toString(x.shape()));
        int bsz = x.size(0), heads = x.size(1), t = x.size(2), hd = x.size(3);
        if (hd % 2 != 0) throw new IllegalArgumentException("rope needs an even head dim, got " + hd);
        boolean perBatch = positions.rank() == 2;
        if (!positions.dtype().isIndex() || (perBatch ? positions.size(0) != bsz || positions.size(1) != t
                : positions.rank() != 1 || positions.size(0) != t)) {
            throw new IllegalArgumentException("positions " + positions + " must be I64/I32 [T] or [B, T] for x "
                    + Arrays.toString(x.shape()));
        }
        Tensor in = x.dtype() == DType.F32 ? memory.resident(x) : f32(x);
        Tensor pos = memory.input(positions, DType.I32);
        Tensor out = memory.empty(DType.F32, x.shape());
        check("pn_rope", abi.rope(floats(in), in.stride(0), in.stride(1), in.stride(2), in.stride(3), ints(pos),
                perBatch ? 1 : 0, floats(out), bsz, heads, t, hd, theta, inverse ? 1 : 0, memory.stream()));
        return out;
    }

    /**
     * Backend.embedding: rows of table [V, D] (F32/F16/BF16, widened in the kernel) picked by ids [...] (I64/I32)
     * -> [..., D] F32. The kernel flags an id outside [0, V); this method then synchronises and throws an
     * IllegalArgumentException naming the first bad id and its position.
     */
    public Tensor embedding(Tensor table, Tensor ids) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding table must be [V, D], got " + table);
        if (!ids.dtype().isIndex()) throw new IllegalArgumentException("ids must be I64 or I32, got " + ids.dtype());
        int vocab = table.size(0), dim = table.size(1), n = (int) ids.numel();
        Tensor tab = denseFloat(table);
        boolean checkedOnHost = memory.hostReadable(ids);   // checked before they go in: no flag to read back
        if (checkedOnHost) checkIndices(ids, vocab, "token id", Long.MIN_VALUE);
        Tensor idv = memory.input(ids, ids.dtype());
        int[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = dim;
        Tensor out = memory.empty(DType.F32, shape);
        Tensor flag = memory.empty(DType.I32, 1);
        check("pn_embedding", abi.embedding(tab.storage().pointer(), dtypeCode(tab), tab.offset(), vocab, dim,
                idv.storage().pointer(), idv.dtype() == DType.I64 ? DTYPE_I64 : DTYPE_I32, idv.offset(), n, floats(out),
                ints(flag), memory.stream()));
        if (checkedOnHost) return out;
        memory.synchronize();
        long bad = flag.getLong(0);
        if (bad > 0) {
            int at = (int) (n - bad);
            throw new IllegalArgumentException("token id " + idv.storage().getLong(idv.offset() + at) + " at position "
                    + at + " outside [0, " + vocab + ")");
        }
        return out;
    }

    /** t when the kernels can read it in place (F32/F16/BF16, any strides), else an F32 copy (F64). */
    private Tensor floatView(Tensor t) {
        DType d = t.dtype();
        if (d == DType.F32 || d == DType.F16 || d == DType.BF16) return memory.resident(t);
        return f32(t);
    }

    private static int dtypeCode(Tensor t) {
        if (t == null) return DTYPE_F32;
        return switch (t.dtype()) {
            case F32 -> DTYPE_F32;
            case F16 -> DTYPE_F16;
            case BF16 -> DTYPE_BF16;
            default -> throw new IllegalArgumentException("no kernel dtype code for " + t.dtype());
        };
    }

    private static void requireRank(int rank) {
        if (rank > MAX_RANK) throw new IllegalArgumentException("element-wise kernels take rank <= " + MAX_RANK + ", got " + rank);
    }

    private static LongPointer longs(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return new LongPointer(l);
    }

    // t's strides over the broadcast shape: 0 for new leading dims and for size-1 dims stretched by broadcasting.
    private static LongPointer broadcastStrides(Tensor t, int[] shape) {
        long[] s = new long[shape.length];
        int lead = shape.length - t.rank();
        for (int d = 0; d < t.rank(); d++) s[lead + d] = t.size(d) == 1 ? 0 : t.stride(d);
        return new LongPointer(s);
    }

    // The first element of t as a byte-addressed pointer (any dtype).
    private static Pointer bytesAt(Tensor t) {
        return new BytePointer(t.storage().pointer()).position((long) t.offset() * t.dtype().byteSize());
    }

    private static int rowLength(Tensor x, String op) {
        if (x.rank() < 1) throw new IllegalArgumentException(op + " needs rank >= 1, got a scalar");
        return x.size(-1);
    }

    private static int rows(Tensor x, int d) { return d == 0 ? 0 : (int) (x.numel() / d); }

    // A [d] norm parameter the kernel reads in place (F32/F16/BF16 with unit stride), an F32 copy otherwise, or null.
    private Tensor parameter(Tensor p, int d, String name) {
        if (p == null) return null;
        if (p.rank() != 1 || p.size(0) != d) {
            throw new IllegalArgumentException(name + " must be a [" + d + "] vector, got " + Arrays.toString(p.shape()));
        }
        return denseFloat(p);
    }

    // t in place when contiguous F32/F16/BF16 (kernels that index rows directly), else a contiguous F32 copy.
    private Tensor denseFloat(Tensor t) {
        Tensor v = floatView(t);
        return v.isContiguous() ? v : f32(v);
    }

    private static Pointer base(Tensor t) { return t == null ? null : t.storage().pointer(); }

    private static long offset(Tensor t) { return t == null ? 0 : t.offset(); }

    // ------------------------------------------------------------------------------------------------------------
    // Score aggregation, cross-entropy, row reductions and multi-modal prompt selection (token_scores.h,
    // cross_entropy.h, row_reduce.h, cosine_topk.h). Index inputs may be I64 or I32 (index32).

    /** Per-token scores [N] (F32) of {@link #tokenScores}; entropy is defined for every row. */
    public record TokenScoreTensors(Tensor nll, Tensor entropy, Tensor el2n) {}

    /**
     * Per-sample means [S] (F32) of {@link #sampleScores} and the supervised-token counts [S] (I32). A field is
     * null when the per-token scores it needs were not given.
     */
    public record SampleScoreTensors(Tensor meanNll, Tensor meanExpNll, Tensor meanEl2n, Tensor entropyAll,
                                     Tensor entropyResp, Tensor count) {}

    /** Cross-entropy per row [N] and the log-sum-exp of each row [N] saved for {@link #crossEntropyBackward}. */
    public record CrossEntropyForward(Tensor loss, Tensor lse) {}

    /**
     * ADAPT-∞ per-token scores from logits [N, V] and targets [N] (row j aligned with targets[j]): nll (0 where
     * ignored), entropy = -sum p ln p (every row) and EL2N = |p - onehot(t)| (0 where ignored), natural log.
     * Targets are not range-checked here: a target outside [0, V) that is not ignoreIndex gives NaN nll and EL2N
     * for that row (token_scores.h), so one bad label marks its sample instead of aborting a scoring pass.
     */
    public TokenScoreTensors tokenScores(Tensor logits, Tensor targets, int ignoreIndex) {
        requireRows("tokenScores", logits, targets);
        int n = logits.size(0), v = logits.size(1);
        Tensor x = f32(logits), t = index32(targets, "targets");
        Tensor nll = memory.empty(DType.F32, n), entropy = memory.empty(DType.F32, n);
        Tensor el2n = memory.empty(DType.F32, n);
        check("pn_token_scores", abi.tokenScores(floats(x), ints(t), n, v, ignoreIndex, floats(nll), floats(entropy),
                floats(el2n), memory.stream()));
        return new TokenScoreTensors(nll, entropy, el2n);
    }

    /**
     * Means of per-token scores [N] over samples: sample s owns rows [offsets[s], offsets[s + 1]) (offsets
     * [S + 1], non-decreasing, within [0, N], checked on the host). Over its supervised rows (targets !=
     * ignoreIndex): meanNll, meanExpNll (mean e^nll, the official code's "ppl"), meanEl2n, entropyResp and the
     * count; over all its rows: entropyAll. No supervised row -> NaN means (an empty sample: entropyAll NaN too).
     * Any field of scores may be null; the means that need it are then not computed (null in the result).
     */
    public SampleScoreTensors sampleScores(TokenScoreTensors scores, Tensor targets, Tensor offsets, int ignoreIndex) {
        if (targets.rank() != 1 || offsets.rank() != 1 || offsets.size(0) < 1) {
            throw new IllegalArgumentException("sampleScores expects targets [N] and offsets [S + 1], got "
                    + Arrays.toString(targets.shape()) + " and " + Arrays.toString(offsets.shape()));
        }
        int n = targets.size(0), samples = offsets.size(0) - 1;
        for (Tensor score : new Tensor[]{scores.nll(), scores.entropy(), scores.el2n()}) {
            if (score != null && (score.rank() != 1 || score.size(0) != n)) {
                throw new IllegalArgumentException("per-token scores must be [" + n + "] like targets, got "
                        + Arrays.toString(score.shape()));
            }
        }
        Tensor off = index32(offsets, "offsets");
        memory.synchronize();                                    // the offsets are read on the host
        long previous = 0;
        for (int s = 0; s <= samples; s++) {
            long o = off.storage().getLong(off.offset() + s);
            if (o < previous || o > n) {
                throw new IllegalArgumentException("offsets must be non-decreasing within [0, " + n + "], offsets["
                        + s + "] = " + o);
            }
            previous = o;
        }
        Tensor t = index32(targets, "targets");
        Tensor nll = scores.nll() == null ? null : f32(scores.nll());
        Tensor entropy = scores.entropy() == null ? null : f32(scores.entropy());
        Tensor el2n = scores.el2n() == null ? null : f32(scores.el2n());
        Tensor meanNll = nll == null ? null : memory.empty(DType.F32, samples);
        Tensor meanExpNll = nll == null ? null : memory.empty(DType.F32, samples);
        Tensor meanEl2n = el2n == null ? null : memory.empty(DType.F32, samples);
        Tensor entropyAll = entropy == null ? null : memory.empty(DType.F32, samples);
        Tensor entropyResp = entropy == null ? null : memory.empty(DType.F32, samples);
        Tensor count = memory.empty(DType.I32, samples);
        check("pn_sample_scores", abi.sampleScores(floatsOrNull(nll), floatsOrNull(entropy), floatsOrNull(el2n),
                ints(t), ints(off), samples, ignoreIndex, floatsOrNull(meanNll), floatsOrNull(meanExpNll),
                floatsOrNull(meanEl2n), floatsOrNull(entropyAll), floatsOrNull(entropyResp), ints(count),
                memory.stream()));
        return new SampleScoreTensors(meanNll, meanExpNll, meanEl2n, entropyAll, entropyResp, count);
    }

    /**
     * Backend.crossEntropy on the device, plus the row log-sum-exp for the backward: logits [N, V], targets [N]
     * -> loss [N] (0 where targets == ignoreIndex) and lse [N] (0 where ignored: those rows are not read). A
     * target outside [0, V) that is not ignoreIndex is an IndexOutOfBoundsException, as in every Backend (the
     * targets are checked on the host).
     */
    public CrossEntropyForward crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        requireRows("crossEntropy", logits, targets);
        int n = logits.size(0), v = logits.size(1);
        Tensor x = f32(logits), t = checkedTargets(targets, v, ignoreIndex);
        Tensor loss = memory.empty(DType.F32, n), lse = memory.empty(DType.F32, n);
        check("pn_cross_entropy_forward", abi.crossEntropyForward(floats(x), ints(t), n, v, ignoreIndex, floats(loss),
                floats(lse), memory.stream()));
        return new CrossEntropyForward(loss, lse);
    }

    /**
     * Gradient of the per-row cross-entropy: dlogits [N, V] = dloss[j] (softmax(logits[j]) - onehot(t_j)), zero
     * rows where targets == ignoreIndex; lse [N] from {@link #crossEntropy}, dloss [N] the gradient of its loss.
     */
    public Tensor crossEntropyBackward(Tensor logits, Tensor targets, Tensor lse, Tensor dloss, int ignoreIndex) {
        requireRows("crossEntropyBackward", logits, targets);
        int n = logits.size(0), v = logits.size(1);
        if (lse.rank() != 1 || lse.size(0) != n || dloss.rank() != 1 || dloss.size(0) != n) {
            throw new IllegalArgumentException("crossEntropyBackward expects lse and dloss [" + n + "], got "
                    + Arrays.toString(lse.shape()) + " and " + Arrays.toString(dloss.shape()));
        }
        Tensor x = f32(logits), t = checkedTargets(targets, v, ignoreIndex), l = f32(lse), g = f32(dloss);
        Tensor dlogits = memory.empty(DType.F32, n, v);
        check("pn_cross_entropy_backward", abi.crossEntropyBackward(floats(x), ints(t), floats(l), floats(g), n, v,
                ignoreIndex, floats(dlogits), memory.stream()));
        return dlogits;
    }

    /** Backend.sum(x, -1, false): x [..., cols] -> [...]. */
    public Tensor rowSum(Tensor x) { return rowReduce(x, ROW_SUM, "rowSum"); }

    /** Backend.mean(x, -1, false): x [..., cols] -> [...] (NaN for cols == 0). */
    public Tensor rowMean(Tensor x) { return rowReduce(x, ROW_MEAN, "rowMean"); }

    /** Backend.max(x, -1, false): x [..., cols] -> [...]; a NaN in a row gives NaN; cols == 0 is an error. */
    public Tensor rowMax(Tensor x) { return rowReduce(x, ROW_MAX, "rowMax"); }

    /**
     * Backend.argmax: x [..., cols] -> [...] (I64), NaN ranks below every number, ties to the lower index, an
     * all-NaN row gives 0; cols == 0 is an IllegalArgumentException.
     */
    public Tensor argmax(Tensor x) {
        if (x.rank() < 1 || x.size(-1) == 0) {
            throw new IllegalArgumentException("argmax over an empty dimension: " + Arrays.toString(x.shape()));
        }
        int cols = x.size(-1), rows = (int) (x.numel() / cols);
        Tensor in = f32(x), out = memory.empty(DType.I32, Arrays.copyOf(x.shape(), x.rank() - 1));
        check("pn_row_argmax", abi.rowArgmax(floats(in), ints(out), rows, cols, memory.stream()));
        memory.synchronize();
        return out.to(DType.I64);
    }

    /**
     * Backend.logSoftmax(x, mask) by the log_softmax_rows kernel: x [..., cols], mask null or broadcastable to x
     * (read in place or expanded as in {@link #softmax}); an all -inf row gives -inf everywhere.
     */
    public Tensor logSoftmax(Tensor x, Tensor mask) {
        if (x.rank() < 1) throw new IllegalArgumentException("logSoftmax needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor in = f32(x);
        Tensor m = mask == null ? null : f32(rowMask(mask, x.shape()));
        Tensor out = memory.empty(DType.F32, x.shape());
        int maskRows = m == null ? 0 : (int) (m.numel() / Math.max(cols, 1));
        check("pn_log_softmax_rows", abi.logSoftmaxRows(floats(in), floatsOrNull(m), floats(out), rows, cols, maskRows,
                memory.stream()));
        return out;
    }

    /**
     * ModalPrompt's multi-modal prompt selection: queries [M, nq, d], keys [M, nk, d], weights [M];
     * score[q, j] = sum_m weights[m] cos(queries[m, q], keys[m, j]) (cos = 0 for a zero vector). candidateMask
     * [nq, nk] (U8 or BOOL, nonzero = may be chosen) or null. Per query the k best allowed keys by value, then
     * lower index: values [nq, k] (F32) and indices [nq, k] (I64); when fewer than k keys are allowed the
     * remaining slots hold index -1 and value -inf. Limits (cosine_topk.h): k >= 1 and 4 (M + 2k + min(nk, 2048))
     * bytes of shared memory within 48 KiB, else a KernelLaunchException with code 1.
     */
    public Backend.TopK weightedCosineTopk(Tensor queries, Tensor keys, float[] weights, Tensor candidateMask, int k) {
        if (queries.rank() != 3 || keys.rank() != 3 || queries.size(0) != keys.size(0)
                || queries.size(2) != keys.size(2) || weights.length != queries.size(0)) {
            throw new IllegalArgumentException("weightedCosineTopk expects queries [M, nq, d], keys [M, nk, d] and "
                    + "weights [M], got " + Arrays.toString(queries.shape()) + ", " + Arrays.toString(keys.shape())
                    + " and " + weights.length + " weights");
        }
        int modalities = queries.size(0), nq = queries.size(1), nk = keys.size(1), d = queries.size(2);
        Tensor mask = null;
        if (candidateMask != null) {
            if (!Arrays.equals(candidateMask.shape(), new int[]{nq, nk})
                    || (candidateMask.dtype() != DType.U8 && candidateMask.dtype() != DType.BOOL)) {
                throw new IllegalArgumentException("candidateMask must be U8 or BOOL [" + nq + ", " + nk + "], got "
                        + candidateMask.dtype() + Arrays.toString(candidateMask.shape()));
            }
            mask = memory.input(candidateMask, candidateMask.dtype());
        }
        Tensor q = f32(queries), kt = f32(keys), w = memory.input(Tensor.of(weights.clone(), modalities), DType.F32);
        Tensor values = memory.empty(DType.F32, nq, Math.max(k, 0));
        Tensor indices = memory.empty(DType.I32, nq, Math.max(k, 0));
        check("pn_weighted_cosine_topk", abi.weightedCosineTopk(floats(q), floats(kt), floats(w), modalities, nq, nk, d,
                mask == null ? null : new BytePointer(mask.storage().pointer()).position(mask.offset()), k,
                ints(indices), floats(values), memory.stream()));
        memory.synchronize();
        return new Backend.TopK(values, indices.to(DType.I64));
    }

    private static final int ROW_SUM = 0, ROW_MEAN = 1, ROW_MAX = 2;   // PN_ROW_* of row_reduce.h

    private Tensor rowReduce(Tensor x, int op, String name) {
        if (x.rank() < 1) throw new IllegalArgumentException(name + " needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        if (op == ROW_MAX && cols == 0) throw new IllegalArgumentException("max over an empty dimension");
        int[] shape = Arrays.copyOf(x.shape(), x.rank() - 1);
        int rows = (int) Shapes.numel(shape);
        Tensor in = f32(x), out = memory.empty(DType.F32, shape);
        check("pn_row_reduce", abi.rowReduce(cols == 0 ? null : floats(in), floats(out), rows, cols, op,
                memory.stream()));
        return out;
    }

    private static void requireRows(String op, Tensor logits, Tensor targets) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.size(0) != logits.size(0)) {
            throw new IllegalArgumentException(op + " expects logits [N, V] and targets [N], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(targets.shape()));
        }
    }

    /**
     * An index tensor (I64 or I32) as a contiguous I32 tensor the device can read. I64 values are converted on the
     * host (there is no I64 -> I32 kernel) and must fit in int32.
     */
    Tensor index32(Tensor t, String what) {
        if (t.dtype() == DType.I32) return memory.input(t, DType.I32);
        if (t.dtype() != DType.I64) throw new IllegalArgumentException(what + " must be I64 or I32, got " + t.dtype());
        memory.synchronize();                                    // t may be the result of queued work
        long[] v = t.toLongArray();
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != (int) v[i]) {
                throw new IllegalArgumentException(what + "[" + i + "] = " + v[i] + " does not fit in int32");
            }
            r[i] = (int) v[i];
        }
        return memory.input(Tensor.ofInts(r, t.shape()), DType.I32);
    }

    // Targets as I32 after the Backend check: each is ignoreIndex or within [0, v).
    // Host targets are checked before they go in; targets already on the device are not read back (a bad one
    // gives its row a NaN loss, cross_entropy.h).
    private Tensor checkedTargets(Tensor targets, int v, int ignoreIndex) {
        if (memory.hostReadable(targets)) checkIndices(targets, v, "target", ignoreIndex);
        return index32(targets, "targets");
    }

    // Every value of the host index tensor t is `allowed` or within [0, bound); else an exception naming it.
    private static void checkIndices(Tensor t, int bound, String what, long allowed) {
        long[] v = t.toLongArray();
        for (int i = 0; i < v.length; i++) {
            long x = v[i];
            if (x != allowed && (x < 0 || x >= bound)) {
                if (what.equals("target")) throw new IndexOutOfBoundsException("target " + x + " outside [0, " + bound + ")");
                throw new IllegalArgumentException(what + " " + x + " at position " + i + " outside [0, " + bound + ")");
            }
        }
    }

    private static FloatPointer floatsOrNull(Tensor t) { return t == null ? null : floats(t); }

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
     * @param causal   query i sees key j only if j &lt;= start + i
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
        BackwardBuffers bb = backwardBuffers(a, out, lse, dout);
        check("pn_attention_backward", abi.attentionBackward(floats(a.q()), floats(a.k()), floats(a.v()),
                bytes(a.keyValid()), floats(bb.o()), floats(bb.l()), floats(bb.g()), a.b(), a.h(), a.kv(), a.t(), a.tk(),
                a.hd(), a.qBatchStride(), a.qHeadStride(), a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start,
                scale, floats(bb.grads().dq()), floats(bb.grads().dk()), floats(bb.grads().dv()), memory.stream()));
        return bb.grads();
    }

    /** An attention backward's float32 inputs (out, lse, dout, shape-checked) and its new dq, dk, dv. */
    private record BackwardBuffers(Tensor o, Tensor l, Tensor g, AttentionGrads grads) {}

    private BackwardBuffers backwardBuffers(AttentionOperands a, Tensor out, Tensor lse, Tensor dout) {
        int[] rows = {a.b(), a.h(), a.t(), a.hd()};
        requireShape("out", out, rows);
        requireShape("dout", dout, rows);
        requireShape("lse", lse, a.b(), a.h(), a.t());
        return new BackwardBuffers(f32(out), f32(lse), f32(dout), new AttentionGrads(memory.empty(DType.F32, rows),
                memory.empty(DType.F32, a.b(), a.kv(), a.tk(), a.hd()), memory.empty(DType.F32, a.b(), a.kv(), a.tk(), a.hd())));
    }

    /**
     * {@link #attentionForward} on BF16 tensor cores (attention_bf16.cu): q, k, v must all be BF16 (read in place
     * when their rows are contiguous and evenly strided by hd, e.g. a BF16 KV cache narrowed to Tk rows; otherwise
     * copied contiguous); the scores, softmax and output accumulate in float32, and the probabilities are rounded to
     * bf16 for the P·V product. Returns F32 out [B, H, T, hd] and lse [B, H, T] like attentionForward; the error
     * bound against exact attention on the same bf16 inputs is derived in docs/kernels.md ("attention_bf16").
     */
    public AttentionResult attentionBf16Forward(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal,
                                                int start, float scale) {
        AttentionOperands a = bf16AttentionOperands(q, k, v, keyValid);
        Tensor out = memory.empty(DType.F32, a.b(), a.h(), a.t(), a.hd());
        Tensor lse = memory.empty(DType.F32, a.b(), a.h(), a.t());
        check("pn_attention_bf16_forward", abi.attentionBf16Forward(bytesAt(a.q()), bytesAt(a.k()), bytesAt(a.v()),
                bytes(a.keyValid()), a.b(), a.h(), a.kv(), a.t(), a.tk(), a.hd(), a.qBatchStride(), a.qHeadStride(),
                a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start, scale, floats(out), floats(lse),
                memory.stream()));
        return new AttentionResult(out, lse);
    }

    /**
     * Gradients of {@link #attentionBf16Forward} (same operands; out and lse from that call; dout [B, H, T, hd] of any
     * floating dtype, rounded to bf16 by the kernels as they read it): F32 dq [B, H, T, hd], dk and dv
     * [B, KV, Tk, hd], the exact-math gradients for dout rounded to bf16 up to the bound in docs/kernels.md.
     * Deterministic (no atomics).
     */
    public AttentionGrads attentionBf16Backward(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal,
                                                int start, float scale, Tensor out, Tensor lse, Tensor dout) {
        AttentionOperands a = bf16AttentionOperands(q, k, v, keyValid);
        BackwardBuffers bb = backwardBuffers(a, out, lse, dout);
        check("pn_attention_bf16_backward", abi.attentionBf16Backward(bytesAt(a.q()), bytesAt(a.k()), bytesAt(a.v()),
                bytes(a.keyValid()), floats(bb.o()), floats(bb.l()), floats(bb.g()), a.b(), a.h(), a.kv(), a.t(), a.tk(),
                a.hd(), a.qBatchStride(), a.qHeadStride(), a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start,
                scale, floats(bb.grads().dq()), floats(bb.grads().dk()), floats(bb.grads().dv()), memory.stream()));
        return bb.grads();
    }

    /** True when {@link #attentionBf16Forward} takes these operands: q, k and v all BF16. */
    public static boolean bf16Attention(Tensor q, Tensor k, Tensor v) {
        return q.dtype() == DType.BF16 && k.dtype() == DType.BF16 && v.dtype() == DType.BF16;
    }

    /**
     * Split-K ("flash-decoding") attention for one query row per head (decode_attention.cu): the result of
     * {@link #attentionForward} for q [B, H, 1, hd] — out [B, H, 1, hd] and lse [B, H, 1] — with the keys cut into
     * chunks that independent blocks handle, chosen for this device by the launcher's heuristic
     * (pn_decode_attention_chunk). k and v are read in their precision when both are F32, both F16 or both BF16
     * (views with contiguous rows evenly strided by hd, such as a KV cache narrowed to Tk rows, in place);
     * otherwise they are converted to F32 first. Accumulation is float32.
     */
    public AttentionResult decodeAttention(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal, int start,
                                           float scale) {
        return decodeAttention(q, k, v, keyValid, causal, start, scale, 0);
    }

    /** {@link #decodeAttention} with {@code chunk} keys per split; 0 = the launcher's heuristic for this device. */
    public AttentionResult decodeAttention(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean causal, int start,
                                           float scale, int chunk) {
        if (q.rank() == 4 && q.size(2) != 1) {
            throw new IllegalArgumentException("decodeAttention takes one query row per head, q [B, H, 1, hd], got "
                    + Arrays.toString(q.shape()));
        }
        if (chunk < 0) throw new IllegalArgumentException("chunk must be >= 0 (0 = heuristic), got " + chunk);
        AttentionOperands a = attentionOperands(q, k, v, keyValid, true, false);
        if (chunk == 0) chunk = decodeChunk(a.b(), a.h(), a.kv(), a.tk());
        long splits = (a.tk() + (long) chunk - 1) / chunk;
        long workspace = (long) a.b() * a.h() * splits * (a.hd() + 2);   // decode_attention.h: [B, H, S, hd + 2]
        if (workspace > Integer.MAX_VALUE) throw new IllegalArgumentException("decode workspace of " + workspace + " floats");
        Tensor out = memory.empty(DType.F32, a.b(), a.h(), 1, a.hd());
        Tensor lse = memory.empty(DType.F32, a.b(), a.h(), 1);
        Tensor partial = memory.empty(DType.F32, (int) workspace);
        try {
            check("pn_decode_attention", abi.decodeAttention(floats(a.q()), bytesAt(a.k()), bytesAt(a.v()),
                    dtypeCode(a.k()), bytes(a.keyValid()), a.b(), a.h(), a.kv(), a.tk(), a.hd(), a.qBatchStride(),
                    a.qHeadStride(), a.kvBatchStride(), a.kvHeadStride(), causal ? 1 : 0, start, scale, chunk,
                    floats(partial), floats(out), floats(lse), memory.stream()));
        } finally {
            partial.close();
        }
        return new AttentionResult(out, lse);
    }

    /** Keys per split that pn_decode_attention_chunk picks for this problem on the current device. */
    int decodeChunk(int b, int h, int kv, int tk) {
        try (IntPointer chunk = new IntPointer(1)) {
            check("pn_decode_attention_chunk", abi.decodeAttentionChunk(b, h, kv, tk, 0, chunk));
            return chunk.get();
        }
    }

    // BF16 q, k, v (each in place or a contiguous BF16 copy) for the tensor-core kernels; k and v share strides.
    private AttentionOperands bf16AttentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid) {
        if (!bf16Attention(q, k, v)) {
            throw new IllegalArgumentException("the BF16 attention kernels take BF16 q, k, v, got " + q.dtype() + ", "
                    + k.dtype() + ", " + v.dtype());
        }
        return attentionOperands(q, k, v, keyValid, true, true);
    }

    // q, k, v and the key mask as the attention launchers read them, with the sizes and batch/head strides.
    private record AttentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid, int b, int h, int kv, int t,
                                     int tk, int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                                     long kvHeadStride) {}

    private AttentionOperands attentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid) {
        return attentionOperands(q, k, v, keyValid, false, false);
    }

    // halfKv: k and v may stay F16/BF16 when both have that dtype (the decode kernel widens them as it loads);
    // halfQ: q likewise stays in its half dtype (the BF16 tensor-core kernels).
    private AttentionOperands attentionOperands(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean halfKv,
                                                boolean halfQ) {
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
        boolean half = halfKv && k.dtype() == v.dtype() && (k.dtype() == DType.F16 || k.dtype() == DType.BF16);
        Tensor qd = rowsOperand(q, halfQ && (q.dtype() == DType.F16 || q.dtype() == DType.BF16));
        Tensor kd = rowsOperand(k, half), vd = rowsOperand(v, half);
        if (headStride(kd, 0) != headStride(vd, 0) || headStride(kd, 1) != headStride(vd, 1)) {
            kd = half ? denseCopy(k) : f32(k);   // one stride pair serves k and v: both contiguous
            vd = half ? denseCopy(v) : f32(v);
        }
        Tensor valid = keyValid == null ? null : memory.input(keyValid, DType.BOOL);
        return new AttentionOperands(qd, kd, vd, valid, b, h, kv, t, tk, hd, headStride(qd, 0), headStride(qd, 1),
                headStride(kd, 0), headStride(kd, 1));
    }

    // t [.., .., rows, hd] as the attention kernels can read it: the same view on device-accessible storage
    // (DeviceMemory.resident) when it is F32 (or, with half, t's F16/BF16) with rows contiguous and evenly strided
    // by hd and non-negative batch/head strides, else a contiguous copy (F32, or t's dtype with half).
    private Tensor rowsOperand(Tensor t, boolean half) {
        int rows = t.size(2), hd = t.size(3);
        boolean layout = (hd <= 1 || t.stride(3) == 1) && (rows <= 1 || t.stride(2) == hd) && t.stride(0) >= 0
                && t.stride(1) >= 0;
        if (half) return layout ? memory.resident(t) : denseCopy(t);
        return layout && t.dtype() == DType.F32 ? memory.resident(t) : f32(t);
    }

    // A contiguous device tensor with t's dtype and values (t itself when it already is one).
    private Tensor denseCopy(Tensor t) {
        return memory.holds(t) ? contiguous(t) : memory.input(t, t.dtype());
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

    // ------------------------------------------------------------------------------------- bf16x3 (bf16x3.h)

    /**
     * The exact three-term bfloat16 split of x (bf16x3.h), for GEMMs with BF16 inputs: a new contiguous BF16 tensor
     * [3, ...x's shape] with x = parts[0] + parts[1] + parts[2] exactly (for |x| {@literal >=} 2^-110; below, |error| {@literal <} 2^-133).
     * Inf and NaN go to parts[0] alone.
     */
    public Tensor bf16x3Split(Tensor x) {
        Tensor in = f32(x);
        int[] shape = new int[x.rank() + 1];
        shape[0] = 3;
        System.arraycopy(x.shape(), 0, shape, 1, x.rank());
        Tensor parts = memory.empty(DType.BF16, shape);
        check("pn_bf16x3_split", abi.bf16x3Split(floats(in), in.numel(), bytesAt(parts), memory.stream()));
        return parts;
    }

    /**
     * The sum of the three products of a split (bf16x3.h): products [3, ...] -> a new contiguous F32 [...] tensor
     * (products[2] + products[1]) + products[0], the smallest terms first.
     */
    public Tensor bf16x3Sum(Tensor products) {
        if (products.rank() < 1 || products.size(0) != 3) {
            throw new IllegalArgumentException("bf16x3Sum expects [3, ...] products, got " + Arrays.toString(products.shape()));
        }
        Tensor in = f32(products);
        Tensor out = memory.empty(DType.F32, Arrays.copyOfRange(products.shape(), 1, products.rank()));
        check("pn_bf16x3_sum", abi.bf16x3Sum(floats(in), out.numel(), floats(out), memory.stream()));
        return out;
    }

    // ------------------------------------------------- ADAPT-∞ sample vectors and clustering (docs/methods/adapt-inf.md §2.4-3)

    /**
     * The Rademacher projection of dev.perennial.select.RandomProjection by the random_projection kernel:
     * x [n, d] -> [n, k] (F32) with out[i, c] = Σ_j x[i, j] · RademacherSigns.sign(seed, rowOffset + j, c).
     */
    public Tensor rademacherProject(Tensor x, long rowOffset, int k, long seed) {
        requireMatrix("rademacherProject", "x", x);
        if (k < 0 || rowOffset < 0) {
            throw new IllegalArgumentException("rademacherProject needs k >= 0 and rowOffset >= 0, got k=" + k
                    + " rowOffset=" + rowOffset);
        }
        Tensor in = f32(x);
        Tensor out = memory.empty(DType.F32, x.size(0), k);
        check("pn_rademacher_project", abi.rademacherProject(floats(in), x.size(0), x.size(1), k, seed, rowOffset, 0,
                floats(out), memory.stream()));
        return out;
    }

    /**
     * out [n, k] += x [n, d] · R[rowOffset .. rowOffset + d - 1, :] in place, for projecting a gradient chunk by
     * chunk. out must be a contiguous F32 tensor in device memory (a result of this class, or any host tensor on
     * the emulated device).
     */
    public void rademacherProjectAccumulate(Tensor x, long rowOffset, long seed, Tensor out) {
        requireMatrix("rademacherProjectAccumulate", "x", x);
        requireDeviceMatrix("rademacherProjectAccumulate", "out", out);
        if (out.size(0) != x.size(0) || rowOffset < 0) {
            throw new IllegalArgumentException("rademacherProjectAccumulate expects x [n, d], out [n, k] and "
                    + "rowOffset >= 0, got " + Arrays.toString(x.shape()) + ", " + Arrays.toString(out.shape()) + ", "
                    + rowOffset);
        }
        Tensor in = f32(x);
        check("pn_rademacher_project", abi.rademacherProject(floats(in), x.size(0), x.size(1), out.size(1), seed,
                rowOffset, 1, floats(out), memory.stream()));
    }

    /**
     * Scales every row of x [n, k] to unit L2 norm in place (zero rows stay zero, never NaN). x must be a
     * contiguous F32 tensor in device memory.
     */
    public void l2NormalizeRowsInPlace(Tensor x) {
        requireDeviceMatrix("l2NormalizeRowsInPlace", "x", x);
        check("pn_l2_normalize_rows", abi.l2NormalizeRows(floats(x), x.size(0), x.size(1), memory.stream()));
    }

    /** labels [n] (I32) and squared distances [n] (F32) of each point's nearest centroid. */
    public record NearestCentroids(Tensor labels, Tensor distances) {}

    /**
     * k-means assignment (dev.perennial.cluster.KMeansAssignment's rule): for x [n, d] and centroids [K, d], the
     * nearest centroid of every point (ties to the lower index; a point containing NaN gets label 0 and distance
     * NaN). K = 0 or d = 0 is a KernelLaunchException with code 1.
     */
    public NearestCentroids kmeansAssign(Tensor x, Tensor centroids) {
        if (x.rank() != 2 || centroids.rank() != 2 || x.size(1) != centroids.size(1)) {
            throw new IllegalArgumentException("kmeansAssign expects x [n, d] and centroids [K, d], got "
                    + Arrays.toString(x.shape()) + " and " + Arrays.toString(centroids.shape()));
        }
        int n = x.size(0);
        Tensor xs = f32(x), cs = f32(centroids);
        Tensor labels = memory.empty(DType.I32, n), distances = memory.empty(DType.F32, n);
        check("pn_kmeans_assign", abi.kmeansAssign(floats(xs), floats(cs), n, x.size(1), centroids.size(0),
                ints(labels), floats(distances), memory.stream()));
        return new NearestCentroids(labels, distances);
    }

    private static void requireMatrix(String op, String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(op + " expects " + name + " as a matrix, got "
                    + Arrays.toString(t.shape()));
        }
    }

    // A tensor a kernel writes in place: it must be the device tensor itself, not a converted copy.
    private void requireDeviceMatrix(String op, String name, Tensor t) {
        requireMatrix(op, name, t);
        if (t.dtype() != DType.F32 || !t.isContiguous() || !memory.holds(t)) {
            throw new IllegalArgumentException(op + " writes " + name + " in place: it must be a contiguous F32 "
                    + "tensor in device memory, got " + t);
        }
    }

    // ------------------------------------------------------------------------------- optimizer (optimizer.h)

    /**
     * FusedOptimizer.adamw on the device: param, expAvg, expAvgSq updated in place. All four must be contiguous
     * F32 tensors in device memory with grad's element count (the optimizer allocates its moments there; a
     * parameter must be placed with Backend.place before training on a device).
     */
    public void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, dev.perennial.train.FusedOptimizer.AdamWStep st) {
        long n = grad.numel();
        for (Tensor t : new Tensor[]{param, expAvg, expAvgSq}) {
            if (t.numel() != n) throw new IllegalArgumentException("adamw operands differ in size: " + t + " and " + grad);
            requireDeviceDense("adamw", t);
        }
        Tensor g = f32(grad);
        check("pn_adamw", abi.adamw(floats(param), floats(g), floats(expAvg), floats(expAvgSq), n, st.beta1(), 1 - st.beta1(),
                st.beta2(), 1 - st.beta2(), st.eps(), st.decay(), st.stepSize(), st.biasCorrection2Sqrt(), memory.stream()));
    }

    /**
     * FusedOptimizer.sumsOfSquares: every tensor's chunk sums go into one device array, which is read back once
     * (the clipping's only transfer out); each tensor's chunks are added in order on the host.
     */
    public double[] sumsOfSquares(java.util.List<Tensor> xs) {
        int block = dev.perennial.tensor.CpuOptimizerKernels.SQUARES_BLOCK;
        int[] first = new int[xs.size() + 1];
        for (int i = 0; i < xs.size(); i++) first[i + 1] = first[i] + (int) ((xs.get(i).numel() + block - 1) / block);
        double[] out = new double[xs.size()];
        if (first[xs.size()] == 0) return out;
        Tensor partial = memory.empty(DType.F64, first[xs.size()]);
        for (int i = 0; i < xs.size(); i++) {
            Tensor x = f32(xs.get(i));
            if (x.numel() == 0) continue;
            org.bytedeco.javacpp.DoublePointer at = new org.bytedeco.javacpp.DoublePointer(partial.storage().pointer()).position(first[i]);
            check("pn_sum_squares", abi.sumSquares(floats(x), x.numel(), at, memory.stream()));
        }
        double[] sums = partial.toDoubleArray();
        partial.close();
        for (int i = 0; i < out.length; i++) {
            double total = 0;
            for (int c = first[i]; c < first[i + 1]; c++) total += sums[c];
            out[i] = total;
        }
        return out;
    }

    /** FusedOptimizer.scaleInPlace: x = float(x · factor) for contiguous F32 device tensors. */
    public void scaleInPlace(java.util.List<Tensor> xs, double factor) {
        for (Tensor x : xs) {
            requireDeviceDense("scaleInPlace", x);
            check("pn_scale_in_place", abi.scaleInPlace(floats(x), x.numel(), factor, memory.stream()));
        }
    }

    private void requireDeviceDense(String op, Tensor t) {
        if (t.dtype() != DType.F32 || !t.isContiguous() || !memory.holds(t)) {
            throw new IllegalArgumentException(op + " updates in place: it needs contiguous F32 tensors in device memory, got " + t);
        }
    }

    /** Backend.dropoutMask on the device (dropout.cu): equal to tensor.DropoutMask.host bit for bit. */
    public Tensor dropoutMask(int[] shape, float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
        Tensor out = memory.empty(DType.F32, shape);
        check("pn_dropout_mask", abi.dropoutMask(seed, p, 1f / (1f - p), out.numel(), floats(out), memory.stream()));
        return out;
    }
}
