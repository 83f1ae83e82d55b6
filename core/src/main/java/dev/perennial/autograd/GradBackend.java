/*
 * A Backend that computes with another backend and records, on a Tape, every op whose inputs require gradients,
 * with its backward rule. Model code is written once against Backend; training passes
 * this instead of the plain backend. Backward rules compute with the inner backend (they are not recorded).
 *
 * Rules (g = d(loss)/d(output), reduceTo sums over broadcast dimensions):
 *   matmul      dA = g·Bᵀ, dB = Aᵀ·g (dB is computed transposed when B is a transposed view, so a linear
 *               layer's weight gradient lands densely in the weight's buffer)
 *   add/sub/mul/div, scale, exp, log, sqrt, tanh, erf, gelu, geluTanh, quickGelu, silu, swiglu: chain rule
 *   softmax     dx = scale·y·(g − Σ g·y);  logSoftmax  dx = g − e^y·Σ g   (masks get no gradient)
 *   layerNorm   dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)), ĝ = g·w;  dw = Σ g·x̂;  db = Σ g
 *   rmsNorm     dx = r·ĝ − x·r³·mean(ĝ·x), ĝ = g·w;  dw = Σ g·x·r
 *   rope        dx = rope(g, −positions) (the inverse rotation)
 *   attention   the inner backend's fused backward when it implements FusedAttention, else the composition
 *   layerNorm, rmsNorm, rope, crossEntropy: the inner backend's backward kernels when it implements FusedBackward
 *   embedding   rows of g added to the table rows of their ids
 *   concat/stack/split/contiguous: gradients routed to the parts (split returns views: nothing to record)
 *   sum/mean/max over a dim, topk values: back to the reduced / selected elements
 *   crossEntropy  dlogits = (softmax(logits) − onehot(target))·g, 0 at ignored rows
 *   argmax and topk indices have no gradient.
 * Each rule is checked against central finite differences in double (GradCheckTest) and the whole model against
 * the reference implementation's gradients (LlavaGradientGoldenTest).
 */
package dev.perennial.autograd;

import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.FusedAttention;
import dev.perennial.tensor.NormGradients;
import dev.perennial.tensor.Recomputation;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A recording {@link Backend} for training: it computes every op with an inner backend and, when an input requires
 * gradients, records the op's backward rule on a {@link Tape}; {@code checkpoint} adds gradient checkpointing.
 * Shapes and dtypes are the inner backend's (floating results F32); gradients are float32.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally), since it records onto an
 * unsynchronized {@code Tape}. Its only static state, the cache of scalar constants, is a {@code ConcurrentHashMap}.
 */
public final class GradBackend implements Backend {
    private final Backend be;
    private final Tape tape;

    public GradBackend(Backend inner, Tape tape) {
        this.be = inner;
        this.tape = tape;
        tape.accumulateWith(inner);
    }

    public Tape tape() { return tape; }

    @Override
    public String name() { return "grad(" + be.name() + ")"; }

    // memory: not recorded (a placed copy is a new leaf; copyInto writes outside the graph)
    @Override
    public Tensor place(Tensor t) { return be.place(t); }

    @Override
    public Tensor zeros(DType dtype, int... shape) { return be.zeros(dtype, shape); }

    @Override
    public void copyInto(Tensor dst, Tensor src) { be.copyInto(dst, src); }

    /** A constant of the graph: not recorded. */
    @Override
    public Tensor dropoutMask(int[] shape, float p, long seed) { return be.dropoutMask(shape, p, seed); }

    // ------------------------------------------------------------------------------------------- helpers

    private static final java.util.concurrent.ConcurrentHashMap<Float, Tensor> CONSTANTS = new java.util.concurrent.ConcurrentHashMap<>();

    /** A rule's constant as a shared read-only scalar (a device copies it in once, not at every rule). */
    private static Tensor scalar(float v) { return CONSTANTS.computeIfAbsent(v, c -> Tensor.scalar(c).frozen()); }

    /**
     * Sums g over the dimensions along which an input of {@code shape} was broadcast to g's shape. A leading
     * dimension of size 1 is dropped as a view (a [1, out, in] weight gradient stays in its layout, so a
     * transposed weight's gradient is adopted by the tape without a copy).
     */
    private Tensor reduceTo(Tensor g, int[] shape) {
        if (Arrays.equals(g.shape(), shape)) return g;
        Tensor r = g;
        int lead = g.rank() - shape.length;
        for (int d = 0; d < lead; d++) r = r.size(0) == 1 ? r.select(0, 0) : be.sum(r, 0, false);
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1 && r.size(d) != 1) r = be.sum(r, d, true);
        }
        return Arrays.equals(r.shape(), shape) ? r : r.reshape(shape);
    }

    private Tensor sigmoid(Tensor z) {
        return be.div(scalar(1f), be.add(scalar(1f), be.exp(be.scale(z, -1f))));
    }

    /** d silu(x) / dx = s (1 + x (1 - s)), s = sigmoid(x) */
    private Tensor siluDerivative(Tensor x) {
        Tensor s = sigmoid(x);
        return be.mul(s, be.add(scalar(1f), be.mul(x, be.sub(scalar(1f), s))));
    }

    // ------------------------------------------------------------------------------------------- recomputation

    /**
     * Gradient checkpointing (activation recomputation): runs {@code segment} on {@code input} keeping only its
     * output, and records one node whose backward runs the segment again on a child tape and differentiates that.
     * Memory: one segment's intermediates at a time instead of every segment's; time: one more forward of the
     * segment. The segment must compute the same values when run twice — code that draws random numbers in it
     * replays its draws through Recomputation (LoRA dropout does) — and must read no tensor produced by a
     * recorded op other than {@code input}; gradients then equal those without
     * checkpointing bit for bit (same ops, same order). Tensors the tape watches that the segment reads (its
     * parameters) get their gradients through the child tape.
     * @param segment builds the segment's output from {@code input} with the backend it is given
     */
    public Tensor checkpoint(Tensor input, java.util.function.Function<Backend, Tensor> segment) {
        Tensor out;
        boolean recorded;
        try (dev.perennial.tensor.TensorScope scope = dev.perennial.tensor.TensorScope.open()) {
            Tape probe = tape.child();                                       // records, then is dropped: nothing kept
            if (tape.requiresGrad(input)) probe.watch(input);
            out = Recomputation.run(Recomputation.Phase.FIRST, () -> segment.apply(new GradBackend(be, probe)));
            recorded = probe.requiresGrad(out);
            scope.keep(out);
        }
        if (!recorded) return out;
        if (out.storage() == input.storage()) throw new IllegalArgumentException("a checkpointed segment must compute a new tensor");
        tape.record(out, (g, sink) -> {
            Tape sub = tape.child();
            boolean inputGrad = tape.requiresGrad(input);
            if (inputGrad) sub.watch(input);
            Tensor again = Recomputation.run(Recomputation.Phase.AGAIN, () -> segment.apply(new GradBackend(be, sub)));
            Gradients d = sub.backward(again, g);
            for (var e : d.buffers().entrySet()) {
                Storage s = e.getKey();
                if (s == input.storage() && inputGrad) continue;
                sink.accumulate(Tensor.of(s, s.length()), e.getValue());      // a watched tensor the segment reads
            }
            if (inputGrad) {
                Tensor gi = d.of(input);
                if (gi != null) sink.accumulate(input, gi);
            }
        });
        return out;
    }

    // ------------------------------------------------------------------------------------------- GEMM

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        Tensor out = be.matmul(a, b);
        if (tape.anyRequiresGrad(a, b)) {
            tape.record(out, (g, sink) -> {
                if (tape.requiresGrad(a)) sink.accumulate(a, reduceTo(be.matmul(g, b.transpose(-1, -2)), a.shape()));
                if (tape.requiresGrad(b)) {
                    boolean transposedView = b.stride(-2) == 1 && b.stride(-1) != 1;
                    Tensor gb = transposedView
                            ? be.matmul(g.transpose(-1, -2), a).transpose(-1, -2)       // (gᵀ·A)ᵀ: dense in W's order
                            : be.matmul(a.transpose(-1, -2), g);
                    sink.accumulate(b, reduceTo(gb, b.shape()));
                }
            });
        }
        return out;
    }

    @Override
    public Tensor contiguous(Tensor x) {
        Tensor out = be.contiguous(x);
        if (out.storage() != x.storage() && tape.requiresGrad(x)) tape.record(out, (g, sink) -> sink.accumulate(x, g));
        return out;
    }

    // ------------------------------------------------------------------------------------------- element-wise

    @Override
    public Tensor add(Tensor a, Tensor b) {
        Tensor out = be.add(a, b);
        if (tape.anyRequiresGrad(a, b)) tape.record(out, (g, sink) -> {
            sink.accumulate(a, reduceTo(g, a.shape()));
            sink.accumulate(b, reduceTo(g, b.shape()));
        });
        return out;
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        Tensor out = be.sub(a, b);
        if (tape.anyRequiresGrad(a, b)) tape.record(out, (g, sink) -> {
            sink.accumulate(a, reduceTo(g, a.shape()));
            if (tape.requiresGrad(b)) sink.accumulate(b, reduceTo(be.scale(g, -1f), b.shape()));
        });
        return out;
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        Tensor out = be.mul(a, b);
        if (tape.anyRequiresGrad(a, b)) tape.record(out, (g, sink) -> {
            if (tape.requiresGrad(a)) sink.accumulate(a, reduceTo(be.mul(g, b), a.shape()));
            if (tape.requiresGrad(b)) sink.accumulate(b, reduceTo(be.mul(g, a), b.shape()));
        });
        return out;
    }

    @Override
    public Tensor div(Tensor a, Tensor b) {
        Tensor out = be.div(a, b);
        if (tape.anyRequiresGrad(a, b)) tape.record(out, (g, sink) -> {
            if (tape.requiresGrad(a)) sink.accumulate(a, reduceTo(be.div(g, b), a.shape()));
            if (tape.requiresGrad(b)) sink.accumulate(b, reduceTo(be.scale(be.div(be.mul(g, out), b), -1f), b.shape()));
        });
        return out;
    }

    /** Records a one-input op whose gradient is g * derivative (derivative computed lazily from x and y). */
    private Tensor unary(Tensor x, Tensor out, java.util.function.BiFunction<Tensor, Tensor, Tensor> derivative) {
        if (tape.requiresGrad(x)) tape.record(out, (g, sink) -> sink.accumulate(x, be.mul(g, derivative.apply(x, out))));
        return out;
    }

    @Override
    public Tensor scale(Tensor a, float s) {
        Tensor out = be.scale(a, s);
        if (tape.requiresGrad(a)) tape.record(out, (g, sink) -> sink.accumulate(a, be.scale(g, s)));
        return out;
    }

    @Override public Tensor exp(Tensor a) { return unary(a, be.exp(a), (x, y) -> y); }
    @Override public Tensor log(Tensor a) { return unary(a, be.log(a), (x, y) -> be.div(scalar(1f), x)); }
    @Override public Tensor sqrt(Tensor a) { return unary(a, be.sqrt(a), (x, y) -> be.div(scalar(0.5f), y)); }
    @Override public Tensor tanh(Tensor a) { return unary(a, be.tanh(a), (x, y) -> be.sub(scalar(1f), be.mul(y, y))); }

    @Override
    public Tensor erf(Tensor a) {   // 2/sqrt(pi) e^{-x^2}
        return unary(a, be.erf(a), (x, y) -> be.scale(be.exp(be.scale(be.mul(x, x), -1f)), (float) (2 / Math.sqrt(Math.PI))));
    }

    @Override
    public Tensor gelu(Tensor a) {  // Phi(x) + x phi(x)
        return unary(a, be.gelu(a), (x, y) -> {
            Tensor cdf = be.scale(be.add(scalar(1f), be.erf(be.scale(x, (float) Math.sqrt(0.5)))), 0.5f);
            Tensor pdf = be.scale(be.exp(be.scale(be.mul(x, x), -0.5f)), (float) (1 / Math.sqrt(2 * Math.PI)));
            return be.add(cdf, be.mul(x, pdf));
        });
    }

    @Override
    public Tensor geluTanh(Tensor a) {  // 0.5(1 + t) + 0.5 x (1 - t^2) c (1 + 3k x^2), t = tanh(c (x + k x^3))
        return unary(a, be.geluTanh(a), (x, y) -> {
            float c = (float) Math.sqrt(2 / Math.PI), k = 0.044715f;
            Tensor x2 = be.mul(x, x);
            Tensor t = be.tanh(be.scale(be.mul(x, be.add(scalar(1f), be.scale(x2, k))), c));
            Tensor left = be.scale(be.add(scalar(1f), t), 0.5f);
            Tensor right = be.mul(be.scale(x, 0.5f * c), be.mul(be.sub(scalar(1f), be.mul(t, t)), be.add(scalar(1f), be.scale(x2, 3 * k))));
            return be.add(left, right);
        });
    }

    @Override
    public Tensor quickGelu(Tensor a) {  // s + 1.702 x s (1 - s), s = sigmoid(1.702 x)
        return unary(a, be.quickGelu(a), (x, y) -> {
            Tensor s = sigmoid(be.scale(x, 1.702f));
            return be.add(s, be.mul(be.scale(x, 1.702f), be.mul(s, be.sub(scalar(1f), s))));
        });
    }

    @Override public Tensor silu(Tensor a) { return unary(a, be.silu(a), (x, y) -> siluDerivative(x)); }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) {
        Tensor out = be.swiglu(gate, up);
        if (tape.anyRequiresGrad(gate, up)) tape.record(out, (g, sink) -> {
            if (tape.requiresGrad(gate)) sink.accumulate(gate, reduceTo(be.mul(be.mul(g, up), siluDerivative(gate)), gate.shape()));
            if (tape.requiresGrad(up)) sink.accumulate(up, reduceTo(be.mul(g, be.silu(gate)), up.shape()));
        });
        return out;
    }

    // ------------------------------------------------------------------------------------------- row-wise

    @Override
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        Tensor y = be.softmax(x, scale, mask);
        if (tape.requiresGrad(x)) tape.record(y, (g, sink) -> {
            Tensor dot = be.sum(be.mul(g, y), -1, true);
            sink.accumulate(x, be.scale(be.mul(y, be.sub(g, dot)), scale));
        });
        return y;
    }

    @Override
    public Tensor logSoftmax(Tensor x, Tensor mask) {
        Tensor y = be.logSoftmax(x, mask);
        if (tape.requiresGrad(x)) tape.record(y, (g, sink) ->
                sink.accumulate(x, be.sub(g, be.mul(be.exp(y), be.sum(g, -1, true)))));
        return y;
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Tensor y = be.layerNorm(x, weight, bias, eps);
        if (tape.anyRequiresGrad(x, weight, bias)) tape.record(y, (g, sink) -> {
            FusedBackward fused = FusedBackward.OP.on(be);
            if (fused != null) {
                accumulate(sink, x, weight, bias, fused.layerNormBackward(g, x, weight, bias, eps));
                return;
            }
            Tensor mean = be.mean(x, -1, true);
            Tensor xc = be.sub(x, mean);
            Tensor r = be.div(scalar(1f), be.sqrt(be.add(be.mean(be.mul(xc, xc), -1, true), scalar(eps))));
            Tensor xhat = be.mul(xc, r);
            Tensor gh = weight == null ? g : be.mul(g, weight);
            if (tape.requiresGrad(x)) {
                Tensor inner = be.sub(be.sub(gh, be.mean(gh, -1, true)), be.mul(xhat, be.mean(be.mul(gh, xhat), -1, true)));
                sink.accumulate(x, be.mul(r, inner));
            }
            if (tape.requiresGrad(weight)) sink.accumulate(weight, reduceTo(be.mul(g, xhat), weight.shape()));
            if (tape.requiresGrad(bias)) sink.accumulate(bias, reduceTo(g, bias.shape()));
        });
        return y;
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Tensor y = be.rmsNorm(x, weight, eps);
        if (tape.anyRequiresGrad(x, weight)) tape.record(y, (g, sink) -> {
            FusedBackward fused = FusedBackward.OP.on(be);
            if (fused != null) {
                accumulate(sink, x, weight, null, fused.rmsNormBackward(g, x, weight, eps));
                return;
            }
            Tensor r = be.div(scalar(1f), be.sqrt(be.add(be.mean(be.mul(x, x), -1, true), scalar(eps))));
            Tensor gh = weight == null ? g : be.mul(g, weight);
            if (tape.requiresGrad(x)) {
                Tensor r3 = be.mul(be.mul(r, r), r);
                sink.accumulate(x, be.sub(be.mul(gh, r), be.mul(be.mul(x, r3), be.mean(be.mul(gh, x), -1, true))));
            }
            if (tape.requiresGrad(weight)) sink.accumulate(weight, reduceTo(be.mul(g, be.mul(x, r)), weight.shape()));
        });
        return y;
    }

    private void accumulate(Tape.Sink sink, Tensor x, Tensor weight, Tensor bias, NormGradients d) {
        if (tape.requiresGrad(x)) sink.accumulate(x, d.dx());
        if (tape.requiresGrad(weight)) sink.accumulate(weight, d.dweight());
        if (tape.requiresGrad(bias)) sink.accumulate(bias, d.dbias());
    }

    /**
     * With a fused inner backend: its forward kernel, and its backward kernel from the saved log-sum-exp.
     * Otherwise the composed definition, recorded op by op through this backend.
     */
    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        FusedAttention fused = FusedAttention.OP.on(be);
        if (fused == null) return Backend.super.attention(q, k, v, mask, scale);
        FusedAttention.Forward fwd = fused.attentionForward(q, k, v, mask, scale);
        if (tape.anyRequiresGrad(q, k, v)) tape.record(fwd.out(), (g, sink) -> {
            FusedAttention.Gradients d = fused.attentionBackward(q, k, v, mask, scale, fwd, g);
            if (tape.requiresGrad(q)) sink.accumulate(q, d.dq());
            if (tape.requiresGrad(k)) sink.accumulate(k, d.dk());
            if (tape.requiresGrad(v)) sink.accumulate(v, d.dv());
        });
        return fwd.out();
    }

    @Override
    public Tensor rope(Tensor x, Tensor positions, float theta) {
        Tensor y = be.rope(x, positions, theta);
        if (tape.requiresGrad(x)) tape.record(y, (g, sink) -> {
            FusedBackward fused = FusedBackward.OP.on(be);
            if (fused != null) {
                sink.accumulate(x, fused.ropeBackward(g, positions, theta));
                return;
            }
            long[] p = positions.toLongArray();
            for (int i = 0; i < p.length; i++) p[i] = -p[i];
            sink.accumulate(x, be.rope(g, Tensor.ofLongs(p, positions.shape()), theta));
        });
        return y;
    }

    // ------------------------------------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        Tensor out = be.embedding(table, ids);
        if (tape.requiresGrad(table)) tape.record(out, (g, sink) -> {
            long[] idv = ids.toLongArray();
            Tensor rows = g.reshape(idv.length, table.size(1));
            for (int i = 0; i < idv.length; i++) sink.accumulate(table.select(0, (int) idv[i]), rows.select(0, i));
        });
        return out;
    }

    @Override
    public Tensor concat(List<Tensor> parts, int dim) {
        Tensor out = be.concat(parts, dim);
        if (tape.anyRequiresGrad(parts.toArray(new Tensor[0]))) {
            int d = Shapes.dim(dim, out.rank());
            tape.record(out, (g, sink) -> {
                int at = 0;
                for (Tensor p : parts) {
                    sink.accumulate(p, g.narrow(d, at, p.size(d)));
                    at += p.size(d);
                }
            });
        }
        return out;
    }

    /** Views of x (no copy, so nothing to record: gradients reach x's buffer through the views' geometry). */
    @Override
    public List<Tensor> split(Tensor x, int[] sizes, int dim) {
        int d = Shapes.dim(dim, x.rank()), at = 0;
        List<Tensor> parts = new ArrayList<>(sizes.length);
        for (int s : sizes) {
            parts.add(x.narrow(d, at, s));
            at += s;
        }
        if (at != x.size(d)) throw new IllegalArgumentException("split sizes " + Arrays.toString(sizes) + " do not cover " + x.size(d));
        return parts;
    }

    @Override
    public Tensor stack(List<Tensor> parts, int dim) {
        int d = dim < 0 ? dim + parts.get(0).rank() + 1 : dim;
        List<Tensor> u = new ArrayList<>(parts.size());
        for (Tensor p : parts) u.add(p.unsqueeze(d));
        return concat(u, d);
    }

    // ------------------------------------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x, int dim, boolean keepDim) {
        Tensor out = be.sum(x, dim, keepDim);
        if (tape.requiresGrad(x)) {
            int d = Shapes.dim(dim, x.rank());
            tape.record(out, (g, sink) -> sink.accumulate(x, be.contiguous((keepDim ? g : g.unsqueeze(d)).expand(x.shape()))));
        }
        return out;
    }

    @Override
    public Tensor mean(Tensor x, int dim, boolean keepDim) {
        Tensor out = be.mean(x, dim, keepDim);
        if (tape.requiresGrad(x)) {
            int d = Shapes.dim(dim, x.rank());
            float inv = 1f / x.size(d);
            tape.record(out, (g, sink) -> sink.accumulate(x, be.scale((keepDim ? g : g.unsqueeze(d)).expand(x.shape()), inv)));
        }
        return out;
    }

    @Override
    public Tensor max(Tensor x, int dim, boolean keepDim) {
        Tensor out = be.max(x, dim, keepDim);
        if (tape.requiresGrad(x)) {
            int d = Shapes.dim(dim, x.rank());
            tape.record(out, (g, sink) -> {
                // the gradient goes to the first maximal element of each reduced line: x viewed as [outer, n, inner]
                int[] shape = x.shape();
                int n = shape[d], outer = 1, inner = 1;
                for (int i = 0; i < d; i++) outer *= shape[i];
                for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
                float[] xv = x.toFloatArray(), gv = be.contiguous(g).toFloatArray(), dx = new float[xv.length];
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        int best = 0;
                        for (int j = 1; j < n; j++) {
                            if (xv[(o * n + j) * inner + i] > xv[(o * n + best) * inner + i]) best = j;
                        }
                        dx[(o * n + best) * inner + i] = gv[o * inner + i];
                    }
                }
                sink.accumulate(x, Tensor.of(dx, shape));
            });
        }
        return out;
    }

    @Override
    public Tensor argmax(Tensor x) { return be.argmax(x); }

    @Override
    public TopK topk(Tensor x, int k) {
        TopK r = be.topk(x, k);
        if (tape.requiresGrad(x)) tape.record(r.values(), (g, sink) -> {
            Tensor full = Tensor.zeros(x.shape());
            int n = x.size(-1);
            long[] iv = r.indices().toLongArray();
            float[] gv = be.contiguous(g).toFloatArray();
            for (int i = 0; i < iv.length; i++) {
                int row = i / k, pos = row * n + (int) iv[i];
                full.storage().setFloat(pos, full.storage().getFloat(pos) + gv[i]);
            }
            sink.accumulate(x, full);
        });
        return r;
    }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        Tensor out = be.crossEntropy(logits, targets, ignoreIndex);
        if (tape.requiresGrad(logits)) tape.record(out, (g, sink) -> {
            FusedBackward fused = FusedBackward.OP.on(be);
            if (fused != null) {
                sink.accumulate(logits, fused.crossEntropyBackward(logits, targets, ignoreIndex, g));
                return;
            }
            long[] t = targets.toLongArray();
            float[] gv = be.contiguous(g).toFloatArray();
            for (int i = 0; i < t.length; i++) if (t[i] == ignoreIndex) gv[i] = 0f;
            Tensor gcol = Tensor.of(gv, gv.length, 1);
            Tensor d = be.mul(be.softmax(logits, null), gcol);                 // [N, V] fresh and contiguous
            int v = logits.size(1);
            for (int i = 0; i < t.length; i++) {
                if (t[i] == ignoreIndex) continue;
                int pos = i * v + (int) t[i];
                d.storage().setFloat(pos, d.storage().getFloat(pos) - gv[i]);
            }
            sink.accumulate(logits, d);
        });
        return out;
    }

}
