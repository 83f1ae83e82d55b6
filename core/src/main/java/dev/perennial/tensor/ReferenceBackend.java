/*
 * The definition of every Backend op: plain loops over row-major double copies of the inputs, double
 * accumulation, results rounded to float32 once at the end. Slow on purpose and written for obviousness,
 * so that faster backends can be tested against it (OpTableTest) without sharing their code paths.
 */
package dev.perennial.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The definition of every {@link Backend} op: plain loops over row-major double copies of the inputs, double
 * accumulation, and results rounded to float32 once ({@link #INSTANCE}) or kept in float64 ({@link #DOUBLE}, for finite
 * differences); slow on purpose, it is what the faster backends are tested against.
 * <p>Thread-safe: its only field, the result type, is final and every op allocates its own outputs, so several threads
 * may share an instance.
 */
public final class ReferenceBackend implements Backend {
    /** Float32 results, like every other backend (the op table compares against this). */
    public static final ReferenceBackend INSTANCE = new ReferenceBackend(DType.F32);
    /** Float64 results, for central finite differences in double (GradCheckTest). */
    public static final ReferenceBackend DOUBLE = new ReferenceBackend(DType.F64);

    private final DType resultType;

    private ReferenceBackend(DType resultType) {
        this.resultType = resultType;
    }

    @Override
    public String name() { return resultType == DType.F32 ? "reference" : "reference-f64"; }

    // ------------------------------------------------------------------------------------------- helpers

    private Tensor out(double[] v, int[] shape) {
        Tensor t = Tensor.zeros(resultType, shape);
        for (int i = 0; i < v.length; i++) t.storage().setDouble(i, v[i]);
        return t;
    }

    private static Tensor outLong(long[] v, int[] shape) {
        Tensor t = Tensor.zeros(DType.I64, shape);
        for (int i = 0; i < v.length; i++) t.storage().setLong(i, v[i]);
        return t;
    }

    /** For each linear index of outShape, the linear index of the broadcast source element. */
    private static int[] broadcastMap(int[] src, int[] outShape) {
        int n = (int) Shapes.numel(outShape);
        int[] map = new int[n];
        int lead = outShape.length - src.length;
        int[] srcStrides = Shapes.contiguousStrides(src);
        for (int i = 0; i < n; i++) {
            int rem = i, pos = 0;
            for (int d = outShape.length - 1; d >= 0; d--) {
                int c = rem % outShape[d];
                rem /= outShape[d];
                int sd = d - lead;
                if (sd >= 0 && src[sd] != 1) pos += c * srcStrides[sd];
            }
            map[i] = pos;
        }
        return map;
    }

    private Tensor unary(Tensor a, DoubleUnaryOperator f) {
        double[] v = a.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = f.applyAsDouble(v[i]);
        return out(v, a.shape());
    }

    private Tensor binary(Tensor a, Tensor b, DoubleBinaryOperator f) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        double[] va = a.toDoubleArray(), vb = b.toDoubleArray();
        int[] ma = broadcastMap(a.shape(), shape), mb = broadcastMap(b.shape(), shape);
        double[] r = new double[ma.length];
        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(va[ma[i]], vb[mb[i]]);
        return out(r, shape);
    }

    private static int lastDim(Tensor x) {
        if (x.rank() == 0) throw new IllegalArgumentException("row-wise op on a rank-0 tensor");
        return x.size(-1);
    }

    // ------------------------------------------------------------------------------------------- GEMM

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2 operands");
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        }
        int[] aBatch = Arrays.copyOf(a.shape(), a.rank() - 2), bBatch = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shapes.broadcast(aBatch, bBatch);
        int[] ma = broadcastMap(aBatch, batch), mb = broadcastMap(bBatch, batch);
        double[] va = a.toDoubleArray(), vb = b.toDoubleArray();
        double[] r = new double[ma.length * m * n];
        for (int bi = 0; bi < ma.length; bi++) {
            int ao = ma[bi] * m * k, bo = mb[bi] * k * n, ro = bi * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += va[ao + i * k + p] * vb[bo + p * n + j];
                    r[ro + i * n + j] = s;
                }
            }
        }
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        return out(r, shape);
    }

    @Override
    public Tensor contiguous(Tensor x) { return x.contiguous(); }

    // ------------------------------------------------------------------------------------------- element-wise

    @Override public Tensor add(Tensor a, Tensor b) { return binary(a, b, Double::sum); }
    @Override public Tensor sub(Tensor a, Tensor b) { return binary(a, b, (x, y) -> x - y); }
    @Override public Tensor mul(Tensor a, Tensor b) { return binary(a, b, (x, y) -> x * y); }
    @Override public Tensor div(Tensor a, Tensor b) { return binary(a, b, (x, y) -> x / y); }
    @Override public Tensor scale(Tensor a, float s) { return unary(a, x -> x * s); }
    @Override public Tensor exp(Tensor a) { return unary(a, Math::exp); }
    @Override public Tensor log(Tensor a) { return unary(a, Math::log); }
    @Override public Tensor sqrt(Tensor a) { return unary(a, Math::sqrt); }
    @Override public Tensor tanh(Tensor a) { return unary(a, Math::tanh); }
    @Override public Tensor erf(Tensor a) { return unary(a, MathFunctions::erf); }
    @Override public Tensor gelu(Tensor a) { return unary(a, MathFunctions::gelu); }
    @Override public Tensor geluTanh(Tensor a) { return unary(a, MathFunctions::geluTanh); }
    @Override public Tensor quickGelu(Tensor a) { return unary(a, MathFunctions::quickGelu); }
    @Override public Tensor silu(Tensor a) { return unary(a, MathFunctions::silu); }
    @Override public Tensor swiglu(Tensor gate, Tensor up) { return binary(gate, up, (g, u) -> MathFunctions.silu(g) * u); }

    // ------------------------------------------------------------------------------------------- row-wise

    /** f(x) + mask as doubles in x's shape (mask broadcast), or f(x) alone. */
    private static double[] masked(DoubleUnaryOperator f, Tensor x, Tensor mask) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = f.applyAsDouble(v[i]);
        if (mask == null) return v;
        int[] shape = Shapes.broadcast(x.shape(), mask.shape());
        if (!Arrays.equals(shape, x.shape())) {
            throw new IllegalArgumentException("mask " + Arrays.toString(mask.shape()) + " does not broadcast to "
                    + Arrays.toString(x.shape()));
        }
        double[] m = mask.toDoubleArray();
        int[] map = broadcastMap(mask.shape(), shape);
        for (int i = 0; i < v.length; i++) v[i] += m[map[i]];
        return v;
    }

    @Override
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        int n = lastDim(x);
        double[] v = masked(d -> d * scale, x, mask);
        for (int r = 0; r < v.length / Math.max(n, 1); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, v[r * n + j]);
            if (max == Double.NEGATIVE_INFINITY) {
                Arrays.fill(v, r * n, r * n + n, 0);
                continue;
            }
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.exp(v[r * n + j] - max);
            for (int j = 0; j < n; j++) v[r * n + j] = Math.exp(v[r * n + j] - max) / sum;
        }
        return out(v, x.shape());
    }

    @Override
    public Tensor logSoftmax(Tensor x, Tensor mask) {
        int n = lastDim(x);
        double[] v = masked(d -> d, x, mask);
        for (int r = 0; r < v.length / Math.max(n, 1); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, v[r * n + j]);
            if (max == Double.NEGATIVE_INFINITY) continue;   // stays -inf
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.exp(v[r * n + j] - max);
            double lse = max + Math.log(sum);
            for (int j = 0; j < n; j++) v[r * n + j] -= lse;
        }
        return out(v, x.shape());
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int n = lastDim(x);
        double[] v = x.toDoubleArray();
        double[] w = weight == null ? null : weight.toDoubleArray(), b = bias == null ? null : bias.toDoubleArray();
        for (int r = 0; r < v.length / Math.max(n, 1); r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < n; j++) mean += v[r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) var += (v[r * n + j] - mean) * (v[r * n + j] - mean);
            var /= n;
            double inv = 1 / Math.sqrt(var + eps);
            for (int j = 0; j < n; j++) {
                double y = (v[r * n + j] - mean) * inv;
                if (w != null) y *= w[j];
                if (b != null) y += b[j];
                v[r * n + j] = y;
            }
        }
        return out(v, x.shape());
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        int n = lastDim(x);
        double[] v = x.toDoubleArray();
        double[] w = weight == null ? null : weight.toDoubleArray();
        for (int r = 0; r < v.length / Math.max(n, 1); r++) {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += v[r * n + j] * v[r * n + j];
            double inv = 1 / Math.sqrt(ss / n + eps);
            for (int j = 0; j < n; j++) v[r * n + j] = v[r * n + j] * inv * (w == null ? 1 : w[j]);
        }
        return out(v, x.shape());
    }

    @Override
    public Tensor rope(Tensor x, Tensor positions, float theta) {
        if (x.rank() != 4) throw new IllegalArgumentException("rope expects x [B, H, T, hd]");
        int bsz = x.size(0), heads = x.size(1), t = x.size(2), hd = x.size(3), half = hd / 2;
        if (hd % 2 != 0) throw new IllegalArgumentException("rope needs an even head dim, got " + hd);
        long[] pos = positions.toLongArray();
        boolean perBatch = positions.rank() == 2;
        double[] v = x.toDoubleArray(), r = new double[v.length];
        for (int b = 0; b < bsz; b++) {
            for (int h = 0; h < heads; h++) {
                for (int s = 0; s < t; s++) {
                    double p = pos[perBatch ? b * t + s : s];
                    int base = ((b * heads + h) * t + s) * hd;
                    for (int i = 0; i < half; i++) {
                        double angle = p * Math.pow(theta, -2.0 * i / hd);
                        double c = Math.cos(angle), sn = Math.sin(angle);
                        double x1 = v[base + i], x2 = v[base + i + half];
                        r[base + i] = x1 * c - x2 * sn;
                        r[base + i + half] = x2 * c + x1 * sn;
                    }
                }
            }
        }
        return out(r, x.shape());
    }

    // ------------------------------------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        int v = table.size(0), d = table.size(1);
        long[] idv = ids.toLongArray();
        double[] tv = table.toDoubleArray(), r = new double[idv.length * d];
        for (int i = 0; i < idv.length; i++) {
            if (idv[i] < 0 || idv[i] >= v) throw new IndexOutOfBoundsException("token id " + idv[i] + " outside [0, " + v + ")");
            System.arraycopy(tv, (int) idv[i] * d, r, i * d, d);
        }
        int[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = d;
        return out(r, shape);
    }

    @Override
    public Tensor concat(List<Tensor> parts, int dim) {
        int rank = parts.get(0).rank(), dd = Shapes.dim(dim, rank);
        int[] shape = parts.get(0).shape();
        int total = 0;
        for (Tensor p : parts) total += p.size(dd);
        shape[dd] = total;
        int outer = 1, inner = 1;
        for (int d = 0; d < dd; d++) outer *= shape[d];
        for (int d = dd + 1; d < rank; d++) inner *= shape[d];
        double[] r = new double[(int) Shapes.numel(shape)];
        int at = 0;
        for (Tensor p : parts) {
            double[] v = p.toDoubleArray();
            int len = p.size(dd);
            for (int o = 0; o < outer; o++) {
                System.arraycopy(v, o * len * inner, r, (o * total + at) * inner, len * inner);
            }
            at += len;
        }
        DType common = parts.get(0).dtype();
        for (Tensor p : parts) if (p.dtype() != common) common = DType.F32;
        return common.isFloating() ? out(r, shape) : out(r, shape).to(common);   // ids stay integers
    }

    @Override
    public List<Tensor> split(Tensor x, int[] sizes, int dim) {
        List<Tensor> r = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            r.add(out(x.narrow(dim, at, s).toDoubleArray(), x.narrow(dim, at, s).shape()));
            at += s;
        }
        if (at != x.size(dim)) throw new IllegalArgumentException("split sizes sum to " + at + ", dim has " + x.size(dim));
        return r;
    }

    @Override
    public Tensor stack(List<Tensor> parts, int dim) {
        List<Tensor> u = new ArrayList<>();
        int d = dim < 0 ? dim + parts.get(0).rank() + 1 : dim;
        for (Tensor p : parts) u.add(p.unsqueeze(d));
        return concat(u, d);
    }

    // ------------------------------------------------------------------------------------------- reductions

    private interface RowReduce { double apply(double[] row); }

    private Tensor reduce(Tensor x, int dim, boolean keepDim, RowReduce f) {
        int d = Shapes.dim(dim, x.rank());
        int[] perm = new int[x.rank()];
        for (int i = 0, j = 0; i < x.rank(); i++) if (i != d) perm[j++] = i;
        perm[x.rank() - 1] = d;
        double[] v = x.permute(perm).toDoubleArray();
        int n = x.size(d), rows = (int) Shapes.numel(Shapes.remove(x.shape(), d));
        double[] r = new double[rows];
        for (int i = 0; i < rows; i++) r[i] = f.apply(Arrays.copyOfRange(v, i * n, i * n + n));
        int[] shape = keepDim ? x.shape() : Shapes.remove(x.shape(), d);
        if (keepDim) shape[d] = 1;
        return out(r, shape);
    }

    @Override
    public Tensor sum(Tensor x, int dim, boolean keepDim) {
        return reduce(x, dim, keepDim, row -> Arrays.stream(row).sum());
    }

    @Override
    public Tensor mean(Tensor x, int dim, boolean keepDim) {
        return reduce(x, dim, keepDim, row -> Arrays.stream(row).sum() / row.length);
    }

    @Override
    public Tensor max(Tensor x, int dim, boolean keepDim) {
        if (x.size(dim) == 0) throw new IllegalArgumentException("max over an empty dimension");
        return reduce(x, dim, keepDim, row -> {
            double m = Double.NEGATIVE_INFINITY;
            for (double v : row) if (Double.isNaN(v) || v > m) m = v;   // NaN propagates, like torch.max
            return m;
        });
    }

    /** True when a ranks before b: larger value, NaN last, ties to the lower index (callers pass ia < ib order). */
    private static boolean before(double a, double b) {
        if (Double.isNaN(a)) return false;
        if (Double.isNaN(b)) return true;
        return a > b;
    }

    @Override
    public Tensor argmax(Tensor x) {
        int n = lastDim(x);
        if (n == 0) throw new IllegalArgumentException("argmax over an empty dimension");
        double[] v = x.toDoubleArray();
        long[] r = new long[v.length / n];
        for (int i = 0; i < r.length; i++) {
            int best = 0;
            for (int j = 1; j < n; j++) if (before(v[i * n + j], v[i * n + best])) best = j;
            r[i] = best;
        }
        return outLong(r, Arrays.copyOf(x.shape(), x.rank() - 1));
    }

    @Override
    public TopK topk(Tensor x, int k) {
        int n = lastDim(x);
        if (k < 0 || k > n) throw new IllegalArgumentException("top-k with k=" + k + " of " + n);
        double[] v = x.toDoubleArray();
        int rows = (int) Shapes.numel(Arrays.copyOf(x.shape(), x.rank() - 1));
        double[] vals = new double[rows * k];
        long[] idx = new long[rows * k];
        for (int i = 0; i < rows; i++) {
            boolean[] taken = new boolean[n];
            for (int s = 0; s < k; s++) {       // selection: k passes of "best remaining"
                int best = -1;
                for (int j = 0; j < n; j++) {
                    if (!taken[j] && (best < 0 || before(v[i * n + j], v[i * n + best]))) best = j;
                }
                taken[best] = true;
                vals[i * k + s] = v[i * n + best];
                idx[i * k + s] = best;
            }
        }
        int[] shape = x.shape();
        shape[shape.length - 1] = k;
        return new TopK(out(vals, shape), outLong(idx, shape));
    }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("crossEntropy expects logits [N, V] and targets [N], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(targets.shape()));
        }
        int n = logits.size(0), v = logits.size(1);
        double[] lv = logits.toDoubleArray();
        long[] tv = targets.toLongArray();
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            if (tv[i] == ignoreIndex) continue;
            if (tv[i] < 0 || tv[i] >= v) throw new IndexOutOfBoundsException("target " + tv[i] + " outside [0, " + v + ")");
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, lv[i * v + j]);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.exp(lv[i * v + j] - max);
            r[i] = max + Math.log(sum) - lv[i * v + (int) tv[i]];
        }
        return out(r, new int[]{n});
    }
}
