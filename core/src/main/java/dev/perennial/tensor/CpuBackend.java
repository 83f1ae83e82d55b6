/*
 * The CPU backend: GEMM through a chosen Gemm (OpenBLAS by default, see CpuMatmul), element-wise ops through
 * ElementwiseLoop (broadcast, coalesced, parallel), and row-wise ops as fused one- or two-pass loops over
 * float rows with double accumulators, parallel over rows. Exponentials in the hot loops (softmax, SiLU, cross-
 * entropy) use MathFunctions.expf (float, within 2 ulp). Large ops use all cores (Parallel); small ones run
 * on the caller's thread. Behaviour is defined by ReferenceBackend and checked against it in OpTableTest.
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CPU {@link Backend}: matrix products through a {@code Gemm} (OpenBLAS by default, chosen by the
 * {@code perennial.gemm} system property), fused element-wise and row-wise loops over float32 with double
 * accumulators, fused attention and the backward kernels training uses; large ops run on all cores.
 * <p>Thread-safe: its fields are final, its op table is a {@code ConcurrentHashMap} filled by the constructor, scratch
 * rows are thread-local and each parallel loop has its own job, so several threads may share one instance
 * (ConcurrentInferenceTest does).
 */
public final class CpuBackend implements Backend, FusedAttention {
    private final Gemm gemm;
    private final CpuMatmul matmul;
    private final CpuAttention attention;
    private final OpTable ops = new OpTable();

    /** A CPU backend with the GEMM named by the perennial.gemm system property (default OpenBLAS). */
    public CpuBackend() {
        this(GemmChoice.fromSystemProperty());
    }

    public CpuBackend(Gemm gemm) {
        this.gemm = gemm;
        this.matmul = new CpuMatmul(gemm);
        this.attention = new CpuAttention(gemm);
        ops.register(FusedAttention.OP, this);
        ops.register(SharedInputProducts.OP, matmul::shared);
    }

    /**
     * BF16/F16 for a BF16/F16 model when perennial-native's row kernel is present (it reads the cache in place, and a
     * prefill's blocked attention widens it); float32 otherwise, where every step would widen the whole cache.
     */
    @Override
    public DType kvCacheType(DType weights) {
        return (weights == DType.BF16 || weights == DType.F16) && CpuKernels.available() != null ? weights : DType.F32;
    }

    /** Fused attention (CpuAttention), one-row products against several weights as one job (CpuMatmul.shared); the backward row kernels and the optimizer's host loops are the fallbacks of
     *  autograd.FusedBackward and train.FusedOptimizer, declared with those ops. */
    @Override
    public OpTable ops() { return ops; }

    @Override
    public String name() { return "cpu-" + gemm.name(); }

    public Gemm gemm() { return gemm; }

    @Override
    public Tensor matmul(Tensor a, Tensor b) { return matmul.matmul(a, b); }

    /**
     * matmul(a, b) into an F32 tensor allocated by {@code output} from the result's shape: for a device whose GEMM
     * is this one (the emulated CUDA device), so that the product lands in its memory.
     */
    public Tensor matmul(Tensor a, Tensor b, java.util.function.Function<int[], Tensor> output) {
        return matmul.matmul(a, b, output);
    }

    @Override
    public Tensor contiguous(Tensor x) { return x.contiguous(); }

    // ------------------------------------------------------------------------------------------- backward kernels
    // One pass per row (CpuFusedBackward); autograd.FusedBackward.OP runs these on the CPU backend.

    public NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps) {
        return CpuFusedBackward.rmsNorm(dy, x, weight, eps);
    }

    public NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps) {
        return CpuFusedBackward.layerNorm(dy, x, weight, bias, eps);
    }

    public Tensor ropeBackward(Tensor dy, Tensor positions, float theta) {
        return CpuFusedBackward.rope(this, dy, positions, theta);
    }

    public Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss) {
        return CpuFusedBackward.crossEntropy(logits, targets, ignoreIndex, dloss);
    }

    // ------------------------------------------------------------------------------------------- attention

    /** Fused attention (CpuAttention): the composition's result without its [B, H, T, Tk] intermediates. */
    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return attention.forward(q, k, v, mask, scale).out();
    }

    @Override
    public FusedAttention.Forward attentionForward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return attention.forward(q, k, v, mask, scale);
    }

    @Override
    public FusedAttention.Gradients attentionBackward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale,
                                                      FusedAttention.Forward forward, Tensor dOut) {
        return attention.backward(q, k, v, mask, scale, forward, dOut);
    }

    // ------------------------------------------------------------------------------------------- element-wise

    private static Tensor map(Tensor a, ElementwiseLoop.FloatUnary f) {
        requireFloat(a);
        Tensor out = Tensor.empty(DType.F32, a.shape());
        ElementwiseLoop.unary(a, out, f);
        return out;
    }

    private static Tensor zip(Tensor a, Tensor b, ElementwiseLoop.FloatBinary f) {
        requireFloat(a);
        requireFloat(b);
        Tensor out = Tensor.empty(DType.F32, Shapes.broadcast(a.shape(), b.shape()));
        ElementwiseLoop.binary(a, b, out, f);
        return out;
    }

    private static void requireFloat(Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + t);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) { return zip(a, b, (x, y, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] + y[j]; }); }

    @Override
    public Tensor sub(Tensor a, Tensor b) { return zip(a, b, (x, y, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] - y[j]; }); }

    @Override
    public Tensor mul(Tensor a, Tensor b) { return zip(a, b, (x, y, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] * y[j]; }); }

    @Override
    public Tensor div(Tensor a, Tensor b) { return zip(a, b, (x, y, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] / y[j]; }); }

    @Override
    public Tensor scale(Tensor a, float s) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] * s; }); }

    @Override
    public Tensor exp(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = MathFunctions.expf(x[j]); }); }

    @Override
    public Tensor log(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) Math.log(x[j]); }); }

    @Override
    public Tensor sqrt(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) Math.sqrt(x[j]); }); }

    @Override
    public Tensor tanh(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) Math.tanh(x[j]); }); }

    @Override
    public Tensor erf(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) MathFunctions.erfFast(x[j]); }); }

    @Override
    public Tensor gelu(Tensor a) { return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) MathFunctions.geluFast(x[j]); }); }

    @Override
    public Tensor geluTanh(Tensor a) {
        return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = (float) MathFunctions.geluTanh(x[j]); });
    }

    @Override
    public Tensor quickGelu(Tensor a) {
        return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] * MathFunctions.sigmoidf(1.702f * x[j]); });
    }

    @Override
    public Tensor silu(Tensor a) {
        Tensor fast = nativeSwiglu(a, null);
        if (fast != null) return fast;
        return map(a, (x, r, n) -> { for (int j = 0; j < n; j++) r[j] = x[j] * MathFunctions.sigmoidf(x[j]); });
    }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) {
        Tensor fast = nativeSwiglu(gate, up);
        if (fast != null) return fast;
        return zip(gate, up, (g, u, r, n) -> { for (int j = 0; j < n; j++) r[j] = g[j] * MathFunctions.sigmoidf(g[j]) * u[j]; });
    }

    /** Elements per native call when SwiGLU is split across threads. */
    private static final int ACTIVATION_BLOCK = 1 << 14;

    /**
     * SwiGLU (or SiLU, up == null) by the native kernel (CpuKernels.swiglu) for contiguous F32 operands of one shape,
     * split across threads in blocks; null when there is no such kernel or the operands need the Java loop's
     * broadcasting or widening.
     */
    private static Tensor nativeSwiglu(Tensor gate, Tensor up) {
        CpuKernels kernels = CpuKernels.available();
        if (kernels == null || gate.dtype() != DType.F32 || !gate.isContiguous()) return null;
        if (up != null && (up.dtype() != DType.F32 || !up.isContiguous() || !Arrays.equals(gate.shape(), up.shape()))) return null;
        Tensor out = Tensor.empty(DType.F32, gate.shape());
        long n = gate.numel();
        long g = gate.storage().address() + 4L * gate.offset(), u = up == null ? 0 : up.storage().address() + 4L * up.offset();
        long o = out.storage().address() + 4L * out.offset();
        if (!kernels.swiglu(g, u, o, 0)) {                                        // an empty call asks: is there a kernel?
            out.close();
            return null;
        }
        int blocks = (int) ((n + ACTIVATION_BLOCK - 1) / ACTIVATION_BLOCK);
        Parallel.forRows(blocks, 16L * ACTIVATION_BLOCK, (b0, b1) -> {
            long start = (long) b0 * ACTIVATION_BLOCK, end = Math.min(n, (long) b1 * ACTIVATION_BLOCK);
            kernels.swiglu(g + 4 * start, u == 0 ? 0 : u + 4 * start, o + 4 * start, end - start);
        });
        return out;
    }

    // ------------------------------------------------------------------------------------------- row-wise

    /** x as a contiguous F32 tensor (no copy when it already is one). */
    private static Tensor dense(Tensor x) {
        requireFloat(x);
        return x.dtype() == DType.F32 ? x.contiguous() : x.to(DType.F32);
    }

    private static int rowLength(Tensor x) {
        if (x.rank() == 0) throw new IllegalArgumentException("row-wise op on a rank-0 tensor");
        return x.size(-1);
    }

    /** The F32 mask broadcast to x's shape as a stride-0 view (checked), or null. */
    private static Tensor broadcastMask(Tensor x, Tensor mask) {
        if (mask == null) return null;
        if (!Arrays.equals(Shapes.broadcast(x.shape(), mask.shape()), x.shape())) {
            throw new IllegalArgumentException("mask " + Arrays.toString(mask.shape()) + " does not broadcast to "
                    + Arrays.toString(x.shape()));
        }
        return (mask.dtype() == DType.F32 ? mask : mask.to(DType.F32)).expand(x.shape());
    }

    /**
     * One last-dim row r: {@code in} holds its n input values, the kernel writes n outputs to {@code out}. Rows
     * are staged in per-thread arrays (one bulk copy each way), so kernels are plain array loops the JIT
     * compiles without buffer bounds checks.
     */
    private interface RowKernel {
        void row(int r, float[] in, float[] out, int n);
    }

    /**
     * Applies {@code kernel} to every last-dim row of x (read as contiguous F32) into a new tensor of the same
     * shape, in parallel over rows. {@code passes} = reads per element (for the parallel cost model).
     */
    private static Tensor rowwise(Tensor x, int passes, RowKernel kernel) {
        int n = rowLength(x);
        Tensor in = dense(x), out = Tensor.empty(DType.F32, x.shape());
        FloatBuffer fi = in.storage().floats(), fo = out.storage().floats();
        int base = in.offset(), rows = n == 0 ? 0 : (int) (in.numel() / n);
        Parallel.forRows(rows, (long) passes * n, (r0, r1) -> {
            float[] a = new float[n], b = new float[n];
            for (int r = r0; r < r1; r++) {
                fi.get(base + r * n, a, 0, n);
                kernel.row(r, a, b, n);
                fo.put(r * n, b, 0, n);
            }
        });
        return out;
    }

    /** Storage position of the first element of row r of a strided view (all dims but the last). */
    private static int rowStart(int[] shape, int[] strides, int offset, int r) {
        int pos = offset;
        for (int d = shape.length - 2; d >= 0; d--) {
            pos += (r % shape[d]) * strides[d];
            r /= shape[d];
        }
        return pos;
    }

    private static final ThreadLocal<float[]> MASK_ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * softmax / log-softmax of scale * x + mask per last-dim row in one fused loop: the mask is read through its
     * broadcast strides (no materialised sum).
     */
    private static Tensor softmaxRows(Tensor x, float scale, Tensor mask, boolean log) {
        Tensor m = broadcastMask(x, mask);
        FloatBuffer mf = m == null ? null : m.storage().floats();
        int[] mShape = m == null ? null : m.shape(), mStrides = m == null ? null : m.strides();
        int ms = m == null ? 0 : m.stride(-1), mOffset = m == null ? 0 : m.offset();
        return rowwise(x, 3, (r, in, out, n) -> {
            float max = Float.NEGATIVE_INFINITY;
            if (mf == null) {
                for (int j = 0; j < n; j++) max = Math.max(max, in[j] *= scale);
            } else {
                int mp = rowStart(mShape, mStrides, mOffset, r);
                float[] mr = MASK_ROW.get();
                if (mr.length < n) MASK_ROW.set(mr = new float[n]);
                if (ms == 1) mf.get(mp, mr, 0, n);
                else for (int j = 0; j < n; j++) mr[j] = mf.get(mp + j * ms);
                for (int j = 0; j < n; j++) max = Math.max(max, in[j] = scale * in[j] + mr[j]);
            }
            if (max == Float.NEGATIVE_INFINITY) {                      // all masked: zeros / -inf
                Arrays.fill(out, 0, n, log ? Float.NEGATIVE_INFINITY : 0f);
                return;
            }
            double sum = 0;
            if (log) {
                for (int j = 0; j < n; j++) sum += MathFunctions.expf(in[j] - max);
                double lse = max + Math.log(sum);
                for (int j = 0; j < n; j++) out[j] = (float) (in[j] - lse);
            } else {
                for (int j = 0; j < n; j++) sum += out[j] = MathFunctions.expf(in[j] - max);
                float inv = (float) (1 / sum);
                for (int j = 0; j < n; j++) out[j] *= inv;
            }
        });
    }

    @Override
    public Tensor softmax(Tensor x, float scale, Tensor mask) { return softmaxRows(x, scale, mask, false); }

    @Override
    public Tensor logSoftmax(Tensor x, Tensor mask) { return softmaxRows(x, 1f, mask, true); }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int d = rowLength(x);
        float[] w = vector(weight, d), b = vector(bias, d);
        return rowwise(x, 3, (r, in, out, n) -> {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += in[j];
            double mean = sum / n, var = 0;
            for (int j = 0; j < n; j++) {
                double dev = in[j] - mean;
                var += dev * dev;
            }
            double inv = 1 / Math.sqrt(var / n + eps);
            for (int j = 0; j < n; j++) {
                double y = (in[j] - mean) * inv;
                if (w != null) y *= w[j];
                if (b != null) y += b[j];
                out[j] = (float) y;
            }
        });
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        float[] w = vector(weight, rowLength(x));
        // Σx² in double over four independent partial sums (one running sum is a chain of dependent adds, 4 cycles
        // each: most of the op's time at hidden 128); then, as the reference, x · rsqrt(mean + eps) rounded to float
        // times the weight, in float (docs/methods/llava-numerics.md, "Numerics to match")
        return rowwise(x, 2, (r, in, out, n) -> {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int j = 0;
            for (; j + 3 < n; j += 4) {
                s0 += (double) in[j] * in[j];
                s1 += (double) in[j + 1] * in[j + 1];
                s2 += (double) in[j + 2] * in[j + 2];
                s3 += (double) in[j + 3] * in[j + 3];
            }
            for (; j < n; j++) s0 += (double) in[j] * in[j];
            float inv = (float) (1 / Math.sqrt(((s0 + s1) + (s2 + s3)) / n + eps));
            if (w == null) for (j = 0; j < n; j++) out[j] = in[j] * inv;
            else for (j = 0; j < n; j++) out[j] = in[j] * inv * w[j];
        });
    }

    /** A [n] parameter vector as a float array, or null. */
    private static float[] vector(Tensor v, int n) {
        if (v == null) return null;
        if (v.rank() != 1 || v.size(0) != n) {
            throw new IllegalArgumentException("expected a [" + n + "] vector, got " + Arrays.toString(v.shape()));
        }
        return v.toFloatArray();
    }

    @Override
    public Tensor rope(Tensor x, Tensor positions, float theta) {
        if (x.rank() != 4) throw new IllegalArgumentException("rope expects x [B, H, T, hd], got " + Arrays.toString(x.shape()));
        int bsz = x.size(0), heads = x.size(1), t = x.size(2), hd = x.size(3), half = hd / 2;
        if (hd % 2 != 0) throw new IllegalArgumentException("rope needs an even head dim, got " + hd);
        boolean perBatch = positions.rank() == 2;
        if (perBatch ? positions.size(0) != bsz || positions.size(1) != t : positions.rank() != 1 || positions.size(0) != t) {
            throw new IllegalArgumentException("positions " + Arrays.toString(positions.shape()) + " do not match x "
                    + Arrays.toString(x.shape()));
        }
        long[] pos = positions.toLongArray();
        long maxAbs = 0;
        for (long p : pos) maxAbs = Math.max(maxAbs, Math.abs(p));
        RopeTable cached = RopeTable.covering(theta, hd, maxAbs);
        float[] cos = new float[pos.length * half], sin = new float[pos.length * half];   // [(B|1) * T, hd/2]
        if (cached != null) {
            for (int p = 0; p < pos.length; p++) {
                int from = (int) Math.abs(pos[p]) * half;
                System.arraycopy(cached.cos, from, cos, p * half, half);
                System.arraycopy(cached.sin, from, sin, p * half, half);
                if (pos[p] < 0) for (int i = 0; i < half; i++) sin[p * half + i] = -sin[p * half + i];
            }
        } else {
            double[] invFreq = RopeTable.inverseFrequencies(theta, hd);
            for (int p = 0; p < pos.length; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos[p] * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(angle);
                    sin[p * half + i] = (float) Math.sin(angle);
                }
            }
        }
        return rowwise(x, 2, (r, in, out, n) -> {                                  // row r = (b, h, s)
            int s = r % t, b = r / (heads * t);
            int table = (perBatch ? b * t + s : s) * half;
            for (int i = 0; i < half; i++) {
                float c = cos[table + i], sn = sin[table + i], x1 = in[i], x2 = in[i + half];
                out[i] = x1 * c - x2 * sn;
                out[i + half] = x2 * c + x1 * sn;
            }
        });
    }

    // ------------------------------------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding table must be [V, D], got " + table);
        if (!ids.dtype().isIndex()) throw new IllegalArgumentException("ids must be I64 or I32, got " + ids.dtype());
        requireFloat(table);
        int v = table.size(0), d = table.size(1);
        long[] idv = ids.toLongArray();
        for (long id : idv) {
            if (id < 0 || id >= v) throw new IndexOutOfBoundsException("token id " + id + " outside [0, " + v + ")");
        }
        int[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = d;
        Tensor out = Tensor.zeros(DType.F32, shape);
        Parallel.forRows(idv.length, d, (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                Tensor row = table.select(0, (int) idv[i]);
                Tensor dst = Tensor.view(out.storage(), new int[]{d}, new int[]{1}, i * d);
                dst.copyFrom(row);
            }
        });
        return out;
    }

    @Override
    public Tensor concat(List<Tensor> parts, int dim) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat of no tensors");
        Tensor first = parts.get(0);
        int d = Shapes.dim(dim, first.rank());
        int[] shape = first.shape();
        int total = 0;
        DType dtype = first.dtype();
        for (Tensor p : parts) {
            int[] ps = p.shape();
            ps[d] = shape[d];
            if (!Arrays.equals(ps, shape)) {
                throw new IllegalArgumentException("concat along " + dim + ": " + Arrays.toString(p.shape())
                        + " does not match " + Arrays.toString(first.shape()));
            }
            if (p.dtype() != dtype) dtype = DType.F32;
            total += p.size(d);
        }
        shape[d] = total;
        Tensor out = Tensor.zeros(dtype, shape);
        int at = 0;
        for (Tensor p : parts) {
            out.narrow(d, at, p.size(d)).copyFrom(p);
            at += p.size(d);
        }
        return out;
    }

    @Override
    public List<Tensor> split(Tensor x, int[] sizes, int dim) {
        int d = Shapes.dim(dim, x.rank()), at = 0;
        List<Tensor> parts = new ArrayList<>(sizes.length);
        for (int s : sizes) {
            if (s < 0 || at + s > x.size(d)) break;
            parts.add(x.narrow(d, at, s));
            at += s;
        }
        if (at != x.size(d) || parts.size() != sizes.length) {
            throw new IllegalArgumentException("split sizes " + Arrays.toString(sizes) + " do not cover dim of size " + x.size(d));
        }
        return parts;
    }

    @Override
    public Tensor stack(List<Tensor> parts, int dim) {
        if (parts.isEmpty()) throw new IllegalArgumentException("stack of no tensors");
        int d = dim < 0 ? dim + parts.get(0).rank() + 1 : dim;
        List<Tensor> u = new ArrayList<>(parts.size());
        for (Tensor p : parts) {
            if (!Arrays.equals(p.shape(), parts.get(0).shape())) throw new IllegalArgumentException("stack of unequal shapes");
            u.add(p.unsqueeze(d));
        }
        return concat(u, d);
    }

    // ------------------------------------------------------------------------------------------- reductions

    /** Reduces each row of {@code len} elements at (start, stride) to one value. */
    private interface Reduction {
        double apply(Storage s, int start, int stride, int len);
    }

    /** Reduces dim of x without copying: the dim is moved last as a strided view and walked row by row. */
    private static Tensor reduce(Tensor x, int dim, boolean keepDim, Reduction f) {
        requireFloat(x);
        int d = Shapes.dim(dim, x.rank());
        int[] perm = new int[x.rank()];
        for (int i = 0, j = 0; i < x.rank(); i++) if (i != d) perm[j++] = i;
        perm[x.rank() - 1] = d;
        Tensor v = x.permute(perm);
        int n = x.size(d), stride = x.stride(d);
        int[] outShape = keepDim ? x.shape() : Shapes.remove(x.shape(), d);
        if (keepDim) outShape[d] = 1;
        Tensor out = Tensor.zeros(DType.F32, outShape);
        int rows = (int) out.numel();
        FloatBuffer fo = out.storage().floats();
        int[] vs = v.shape(), vst = v.strides();
        Parallel.forRows(rows, n, (r0, r1) -> {
            StridedLoop.RowCursor cur = new StridedLoop.RowCursor(vs, vst, v.offset(), r0);
            for (int r = r0; r < r1; r++) {
                fo.put(r, (float) f.apply(x.storage(), cur.position(), stride, n));
                cur.next();
            }
        });
        return out;
    }

    private static double rowSum(Storage s, int start, int stride, int len) {
        double acc = 0;
        if (s.dtype() == DType.F32) {
            FloatBuffer f = s.floats();
            for (int j = 0; j < len; j++) acc += f.get(start + j * stride);
        } else {
            for (int j = 0; j < len; j++) acc += s.getFloat(start + j * stride);
        }
        return acc;
    }

    @Override
    public Tensor sum(Tensor x, int dim, boolean keepDim) { return reduce(x, dim, keepDim, CpuBackend::rowSum); }

    @Override
    public Tensor mean(Tensor x, int dim, boolean keepDim) {
        return reduce(x, dim, keepDim, (s, start, stride, len) -> rowSum(s, start, stride, len) / len);
    }

    @Override
    public Tensor max(Tensor x, int dim, boolean keepDim) {
        if (x.size(dim) == 0) throw new IllegalArgumentException("max over an empty dimension");
        return reduce(x, dim, keepDim, (s, start, stride, len) -> {
            float m = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < len; j++) {
                float v = s.getFloat(start + j * stride);
                if (v > m || Float.isNaN(v)) m = v;
                if (Float.isNaN(m)) break;                           // NaN propagates, like torch.max
            }
            return m;
        });
    }

    /** Ranking used by argmax and top-k: larger first, NaN below every number. */
    private static boolean before(float a, float b) {
        if (Float.isNaN(a)) return false;
        if (Float.isNaN(b)) return true;
        return a > b;
    }

    @Override
    public Tensor argmax(Tensor x) {
        int n = rowLength(x);
        if (n == 0) throw new IllegalArgumentException("argmax over an empty dimension");
        Tensor in = dense(x);
        Tensor out = Tensor.zeros(DType.I64, Arrays.copyOf(x.shape(), x.rank() - 1));
        FloatBuffer fi = in.storage().floats();
        LongBuffer lo = out.storage().longs();
        int base = in.offset();
        Parallel.forRows((int) out.numel(), n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int i0 = base + r * n, best = 0;
                for (int j = 1; j < n; j++) if (before(fi.get(i0 + j), fi.get(i0 + best))) best = j;
                lo.put(r, best);
            }
        });
        return out;
    }

    @Override
    public TopK topk(Tensor x, int k) {
        int n = rowLength(x);
        if (k < 0 || k > n) throw new IllegalArgumentException("top-k with k=" + k + " of " + n);
        Tensor in = dense(x);
        int[] shape = x.shape();
        shape[shape.length - 1] = k;
        Tensor values = Tensor.zeros(DType.F32, shape), indices = Tensor.zeros(DType.I64, shape);
        FloatBuffer fi = in.storage().floats(), fv = values.storage().floats();
        LongBuffer li = indices.storage().longs();
        int base = in.offset(), rows = (int) Shapes.numel(Arrays.copyOf(x.shape(), x.rank() - 1));
        Parallel.forRows(rows, (long) n * Math.max(1, Math.min(k, 16)), (r0, r1) -> {
            float[] bestV = new float[k];
            int[] bestI = new int[k];
            for (int r = r0; r < r1; r++) {
                int i0 = base + r * n, size = 0;
                for (int j = 0; j < n && k > 0; j++) {
                    float v = fi.get(i0 + j);
                    if (size == k && !before(v, bestV[k - 1])) continue;
                    int p = size == k ? k - 1 : size++;               // insertion into the sorted best list;
                    while (p > 0 && before(v, bestV[p - 1])) {       // equal values stay behind (lower index first)
                        bestV[p] = bestV[p - 1];
                        bestI[p] = bestI[p - 1];
                        p--;
                    }
                    bestV[p] = v;
                    bestI[p] = j;
                }
                for (int s = 0; s < k; s++) {
                    fv.put(r * k + s, bestV[s]);
                    li.put(r * k + s, bestI[s]);
                }
            }
        });
        return new TopK(values, indices);
    }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("crossEntropy expects logits [N, V] and targets [N], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(targets.shape()));
        }
        if (!targets.dtype().isIndex()) throw new IllegalArgumentException("targets must be I64 or I32");
        int n = logits.size(0), v = logits.size(1);
        long[] tv = targets.toLongArray();
        for (long t : tv) {
            if (t != ignoreIndex && (t < 0 || t >= v)) throw new IndexOutOfBoundsException("target " + t + " outside [0, " + v + ")");
        }
        Tensor in = dense(logits), out = Tensor.zeros(DType.F32, n);
        FloatBuffer fi = in.storage().floats(), fo = out.storage().floats();
        int base = in.offset();
        Parallel.forRows(n, 2L * v, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (tv[r] == ignoreIndex) continue;
                int i0 = base + r * v;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) max = Math.max(max, fi.get(i0 + j));
                double sum = 0;
                for (int j = 0; j < v; j++) sum += MathFunctions.expf(fi.get(i0 + j) - max);
                fo.put(r, (float) (max + Math.log(sum) - fi.get(i0 + (int) tv[r])));
            }
        });
        return out;
    }
}
