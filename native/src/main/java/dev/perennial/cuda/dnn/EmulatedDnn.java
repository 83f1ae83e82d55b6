/*
 * The emulated device's cuDNN: a host implementation of each call DeviceDnn defines, taking exactly what cuDNN
 * would take (as HostGemmEngine runs cuBLAS's calls on OpenBLAS). A convolution is computed from its ConvProblem's
 * sizes and strides; an operation graph is interpreted node by node from its DnnGraph: every tensor is read and
 * written through its descriptor's dims and strides (memory tensors through the variant pack's pointers, as a kernel
 * would, so the device's host-access counts are not disturbed), every value stored into a BF16 tensor is rounded to
 * bfloat16 (to nearest even), matmuls and reductions accumulate in float32 in index order, exp and log are the
 * correctly rounded float results. The descriptors' semantics are cuDNN's documented ones (DnnOp).
 *
 * What this cannot tell: whether cuDNN has an engine for a graph, its accumulation order, its exp, the tile-wise
 * rescaling of its flash-attention kernels, workspace sizes and speed (docs/kernels.md "cuDNN").
 *
 * Every call is recorded (calls()), so tests can check that the backend routed through cuDNN and with which
 * problem or graph.
 */
package dev.perennial.cuda.dnn;

import dev.perennial.cuda.dnn.DnnOp.Matmul;
import dev.perennial.cuda.dnn.DnnOp.Pointwise;
import dev.perennial.cuda.dnn.DnnOp.Reduction;
import dev.perennial.cuda.dnn.DnnOp.Reshape;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.ShortPointer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** cuDNN's calls computed on the host, each recorded. Thread-safe (calls are serialised). */
public final class EmulatedDnn implements DeviceDnn {

    /** One recorded call: a convolution (graph null) or a graph execution (conv null), with the pack's dtypes. */
    public record Call(ConvProblem conv, DnnGraph graph, Map<Long, DType> packTypes) {}

    private final List<Call> calls = new ArrayList<>();

    @Override
    public String name() { return "emulated"; }

    /** The host stand-in runs every SDPA graph. */
    @Override
    public boolean sdpa() { return true; }

    /** Every graph of the supported vocabulary (DnnOp) runs on the host. */
    @Override
    public boolean supports(DnnGraph g) { return true; }

    /** The calls so far, oldest first. */
    public synchronized List<Call> calls() { return List.copyOf(calls); }

    public synchronized void clearCalls() { calls.clear(); }

    @Override
    public synchronized void convForward(ConvProblem p, Tensor x, Tensor w, Tensor y) {
        DType dt = p.type() == DnnType.F32 ? DType.F32 : DType.BF16;
        for (Tensor t : new Tensor[]{x, w, y}) {
            if (t.dtype() != dt) throw new IllegalArgumentException("convolution of type " + p.type() + " got a " + t.dtype() + " operand");
        }
        calls.add(new Call(p, null, Map.of()));
        long[] xs = p.xStrides(), ws = p.wStrides(), ys = p.yStrides();
        float[] xv = load(x, span(new long[]{p.n(), p.c(), p.h(), p.w()}, xs), p.type());
        float[] wv = load(w, span(new long[]{p.k(), p.c(), p.r(), p.s()}, ws), p.type());
        float[] yv = new float[(int) span(new long[]{p.n(), p.k(), p.p(), p.q()}, ys)];
        for (int n = 0; n < p.n(); n++) {
            for (int k = 0; k < p.k(); k++) {
                for (int oy = 0; oy < p.p(); oy++) {
                    for (int ox = 0; ox < p.q(); ox++) {
                        float acc = 0f;
                        for (int c = 0; c < p.c(); c++) {
                            for (int r = 0; r < p.r(); r++) {
                                int iy = oy * p.strideH() - p.padH() + r * p.dilationH();
                                if (iy < 0 || iy >= p.h()) continue;
                                for (int s = 0; s < p.s(); s++) {
                                    int ix = ox * p.strideW() - p.padW() + s * p.dilationW();
                                    if (ix < 0 || ix >= p.w()) continue;
                                    acc += xv[(int) (n * xs[0] + c * xs[1] + iy * xs[2] + ix * xs[3])]
                                            * wv[(int) (k * ws[0] + c * ws[1] + r * ws[2] + s * ws[3])];
                                }
                            }
                        }
                        yv[(int) (n * ys[0] + k * ys[1] + oy * ys[2] + ox * ys[3])] = round(acc, p.type());
                    }
                }
            }
        }
        store(y, yv, p.type());
    }

    @Override
    public synchronized void execute(DnnGraph g, Map<Long, Tensor> pack) {
        Map<Long, DType> types = new HashMap<>();
        for (long uid : g.boundUids()) {
            Tensor t = pack.get(uid);
            DnnTensor d = g.tensor(uid);
            if (t == null) throw new IllegalArgumentException(g.name() + ": the variant pack lacks " + d);
            if (t.dtype() != dtype(d.type())) {
                throw new IllegalArgumentException(g.name() + ": " + d + " bound to a " + t.dtype() + " tensor");
            }
            types.put(uid, t.dtype());
        }
        calls.add(new Call(null, g, Map.copyOf(types)));
        Map<Long, float[]> buf = new HashMap<>();
        for (DnnTensor d : g.tensors().values()) {
            if (d.byValue()) buf.put(d.uid(), new float[]{d.value().floatValue()});
            else if (!d.isVirtual()) buf.put(d.uid(), load(pack.get(d.uid()), span(d.dims(), d.strides()), d.type()));
        }
        java.util.Set<Long> written = new java.util.LinkedHashSet<>();
        for (DnnOp op : g.ops()) {
            DnnTensor y = g.tensor(op.output());
            float[] out = buf.computeIfAbsent(y.uid(), u -> new float[(int) span(y.dims(), y.strides())]);
            if (op instanceof Matmul m) {
                matmul(g, m, buf, out);
            } else if (op instanceof Pointwise p) {
                pointwise(g, p, buf, out);
            } else if (op instanceof Reduction r) {
                reduction(g, r, buf, out);
            } else {
                float[] x = buf.get(((Reshape) op).x());       // the same locations, read through y's strides
                forEach(y.dims(), idx -> {
                    int at = at(idx, y.strides());
                    out[at] = x[at];
                });
            }
            if (y.type() == DnnType.BF16) forEach(y.dims(), idx -> {
                int at = at(idx, y.strides());
                out[at] = round(out[at], DnnType.BF16);
            });
            written.add(y.uid());
        }
        for (long uid : written) {
            DnnTensor d = g.tensor(uid);
            if (!d.isVirtual()) store(pack.get(uid), buf.get(uid), d.type());
        }
    }

    private static void matmul(DnnGraph g, Matmul m, Map<Long, float[]> buf, float[] out) {
        DnnTensor a = g.tensor(m.a()), b = g.tensor(m.b()), c = g.tensor(m.output());
        long[] ad = a.dims(), bd = b.dims(), cd = c.dims(), as = a.strides(), bs = b.strides(), cs = c.strides();
        int mm = (int) cd[2], nn = (int) cd[3], kk = (int) ad[3];
        if (ad[2] != mm || bd[3] != nn || bd[2] != kk) {
            throw new IllegalArgumentException(g.name() + " " + m.name() + ": " + a + " · " + b + " -> " + c);
        }
        float[] av = buf.get(a.uid()), bv = buf.get(b.uid());
        float[] mo = m.mOverride() == 0 ? null : buf.get(m.mOverride()), no = m.nOverride() == 0 ? null : buf.get(m.nOverride());
        float[] ko = m.kOverride() == 0 ? null : buf.get(m.kOverride());
        for (int b0 = 0; b0 < cd[0]; b0++) {
            for (int b1 = 0; b1 < cd[1]; b1++) {
                int ab = batch(b0, ad[0], cd[0]) * (int) as[0] + batch(b1, ad[1], cd[1]) * (int) as[1];
                int bb = batch(b0, bd[0], cd[0]) * (int) bs[0] + batch(b1, bd[1], cd[1]) * (int) bs[1];
                int cb = b0 * (int) cs[0] + b1 * (int) cs[1];
                int mLim = limit(mo, b0, mm), nLim = limit(no, b0, nn), kLim = limit(ko, b0, kk);
                for (int i = 0; i < mm; i++) {
                    for (int j = 0; j < nn; j++) {
                        float acc = 0f;                                  // the padding value outside the overrides
                        if (i < mLim && j < nLim) {
                            for (int l = 0; l < kLim; l++) {
                                acc += av[ab + i * (int) as[2] + l * (int) as[3]] * bv[bb + l * (int) bs[2] + j * (int) bs[3]];
                            }
                        }
                        out[cb + i * (int) cs[2] + j * (int) cs[3]] = acc;
                    }
                }
            }
        }
    }

    private static void pointwise(DnnGraph g, Pointwise p, Map<Long, float[]> buf, float[] out) {
        DnnTensor y = g.tensor(p.output()), x = g.tensor(p.x());
        DnnTensor b = p.b() == 0 ? null : g.tensor(p.b()), t = p.t() == 0 ? null : g.tensor(p.t());
        float[] xv = buf.get(x.uid()), bv = b == null ? null : buf.get(b.uid()), tv = t == null ? null : buf.get(t.uid());
        long[] yd = y.dims(), ys = y.strides();
        forEach(yd, idx -> {
            float xi = xv[broadcast(idx, x)];
            float bi = b == null ? 0f : bv[broadcast(idx, b)];
            float r = switch (p.mode()) {
                case ADD -> xi + bi;
                case SUB -> xi - bi;
                case MUL -> xi * bi;
                case DIV -> xi / bi;
                case EXP -> (float) Math.exp(xi);
                case LOG -> (float) Math.log(xi);
                case IDENTITY -> xi;
                case GEN_INDEX -> idx[p.axis()];
                case CMP_GE -> xi >= bi ? 1f : 0f;
                case CMP_LT -> xi < bi ? 1f : 0f;
                case LOGICAL_AND -> xi != 0f && bi != 0f ? 1f : 0f;
                case BINARY_SELECT -> tv[broadcast(idx, t)] != 0f ? xi : bi;
            };
            out[at(idx, ys)] = r;
        });
    }

    private static void reduction(DnnGraph g, Reduction r, Map<Long, float[]> buf, float[] out) {
        DnnTensor x = g.tensor(r.x()), y = g.tensor(r.output());
        long[] xd = x.dims(), yd = y.dims(), xs = x.strides(), ys = y.strides();
        for (int d = 0; d < xd.length; d++) {
            if (yd[d] > xd[d] || xd[d] % yd[d] != 0) {
                throw new IllegalArgumentException(g.name() + " " + r.name() + ": cannot reduce " + x + " to " + y);
            }
        }
        float init = r.mode() == DnnOp.ReductionMode.MAX ? Float.NEGATIVE_INFINITY : 0f;
        forEach(yd, idx -> out[at(idx, ys)] = init);
        float[] xv = buf.get(x.uid());
        forEach(xd, idx -> {
            int o = 0;
            for (int d = 0; d < idx.length; d++) o += (int) (idx[d] / (xd[d] / yd[d]) * ys[d]);
            float v = xv[at(idx, xs)];
            out[o] = r.mode() == DnnOp.ReductionMode.MAX ? Math.max(out[o], v) : out[o] + v;
        });
    }

    // Index of a batch dim of an operand with n entries against the output's m (n = m, n = 1, or m a multiple of n).
    private static int batch(int i, long n, long m) {
        if (n == m) return i;
        if (n == 1) return 0;
        if (m % n != 0) throw new IllegalArgumentException("batch dim " + n + " does not divide " + m);
        return (int) (i / (m / n));
    }

    private static int limit(float[] override, int b, int full) {
        return override == null ? full : Math.min(full, (int) override[override.length == 1 ? 0 : b]);
    }

    private static int broadcast(int[] idx, DnnTensor t) {
        long[] d = t.dims(), s = t.strides();
        int at = 0;
        for (int i = 0; i < idx.length; i++) if (d[i] != 1) at += idx[i] * (int) s[i];
        return at;
    }

    private static int at(int[] idx, long[] strides) {
        int at = 0;
        for (int i = 0; i < idx.length; i++) at += idx[i] * (int) strides[i];
        return at;
    }

    private static void forEach(long[] dims, java.util.function.Consumer<int[]> f) {
        int[] idx = new int[dims.length];
        long n = 1;
        for (long d : dims) n *= d;
        for (long e = 0; e < n; e++) {
            f.accept(idx);
            for (int d = dims.length - 1; d >= 0 && ++idx[d] == dims[d]; d--) idx[d] = 0;
        }
    }

    // Elements from the first one to the last one a (dims, strides) view reaches.
    private static long span(long[] dims, long[] strides) {
        long s = 1;
        for (int i = 0; i < dims.length; i++) s += (dims[i] - 1) * strides[i];
        if (s > Integer.MAX_VALUE) throw new IllegalArgumentException("the emulated cuDNN handles views under 2^31 elements");
        return s;
    }

    private static float round(float v, DnnType type) {
        return type == DnnType.BF16 ? Half.bf16ToFloat(Half.floatToBf16(v)) : v;
    }

    private static DType dtype(DnnType t) {
        return switch (t) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case I32 -> DType.I32;
            case BOOL -> DType.BOOL;
        };
    }

    // span elements of t from its first element, widened to float, read through JavaCPP pointers like a kernel.
    private static float[] load(Tensor t, long span, DnnType type) {
        float[] v = new float[(int) span];
        switch (type) {
            case F32 -> new FloatPointer(t.storage().pointer()).position(t.offset()).get(v, 0, v.length);
            case BF16 -> {
                short[] s = new short[v.length];
                new ShortPointer(t.storage().pointer()).position(t.offset()).get(s, 0, s.length);
                for (int i = 0; i < s.length; i++) v[i] = Half.bf16ToFloat(s[i]);
            }
            case I32 -> {
                int[] s = new int[v.length];
                new IntPointer(t.storage().pointer()).position(t.offset()).get(s, 0, s.length);
                for (int i = 0; i < s.length; i++) v[i] = s[i];
            }
            case BOOL -> throw new IllegalArgumentException("boolean tensors are virtual only");
        }
        return v;
    }

    // Writes back a whole span: the outputs here are packed, so the span is exactly their elements.
    private static void store(Tensor t, float[] v, DnnType type) {
        switch (type) {
            case F32 -> new FloatPointer(t.storage().pointer()).position(t.offset()).put(v, 0, v.length);
            case BF16 -> {
                short[] s = new short[v.length];
                for (int i = 0; i < s.length; i++) s[i] = Half.floatToBf16(v[i]);
                new ShortPointer(t.storage().pointer()).position(t.offset()).put(s, 0, s.length);
            }
            case I32 -> {
                int[] s = new int[v.length];
                for (int i = 0; i < s.length; i++) s[i] = (int) v[i];
                new IntPointer(t.storage().pointer()).position(t.offset()).put(s, 0, s.length);
            }
            case BOOL -> throw new IllegalArgumentException("boolean tensors are virtual only");
        }
    }
}
