/*
 * Backend on a CUDA device: GEMM through the device's DeviceGemm (cuBLAS, or OpenBLAS on the emulated device),
 * with the device's cuDNN route (when on) the CLIP patch embedding and BF16 attention through cuDNN (PlannedDnn),
 * the other hot ops through the hand-written kernels of cuda/ (DeviceKernels), and the few ops without a kernel
 * on the host (HostFallback, logged once per op). Tensors are ordinary Tensors whose storage the device can
 * address (host memory when emulated, CUDA managed memory on a GPU), so model code runs unchanged
 * (docs/architecture.md, "Backends" and "CUDA backend").
 *
 * Semantics are exactly Backend's; the native tests run the op table and the whole tiny-LLaVA golden forward and
 * backward through this class on the emulated device.
 */
package dev.perennial.cuda;

import dev.perennial.cuda.dnn.SdpaProblem;
import dev.perennial.llava.PatchEmbedding;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.FusedAttention;
import dev.perennial.tensor.NormGradients;
import dev.perennial.tensor.Op;
import dev.perennial.tensor.OpTable;
import dev.perennial.autograd.FusedBackward;
import dev.perennial.cluster.KMeansAssignment;
import dev.perennial.cluster.NearestCentroids;
import dev.perennial.prompt.FusedPromptSelection;
import dev.perennial.select.GradientProjection;
import dev.perennial.select.TokenScores;
import dev.perennial.select.TokenScoring;
import dev.perennial.train.FusedOptimizer;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Set;

public final class CudaBackend implements Backend, FusedAttention {
    private static final CpuBackend VIEWS = new CpuBackend();   // split: views only, no element is touched

    private final CudaDevice device;
    private final DeviceKernels k;
    private final HostFallback host;
    private final OpTable ops = new OpTable();

    public CudaBackend(CudaDevice device) {
        this.device = device;
        this.k = device.kernels();
        this.host = new HostFallback(k.memory());
        registerOps();
    }

    /**
     * The kernels this backend offers for operations declared elsewhere (docs/architecture.md, "Ops with a home"):
     * one register call per op, nothing else to wire.
     */
    private void registerOps() {
        ops.register(FusedAttention.OP, this);
        if (device.dnn() != null) ops.register(PatchEmbedding.OP, device.dnn()::patchEmbedding);
        ops.register(FusedBackward.OP, new FusedBackward() {
            @Override
            public NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps) { return k.rmsNormBackward(dy, x, weight, eps); }

            @Override
            public NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps) {
                return k.layerNormBackward(dy, x, weight, bias, eps);
            }

            @Override
            public Tensor ropeBackward(Tensor dy, Tensor positions, float theta) { return k.ropeBackward(dy, positions, theta); }

            /** Recomputes the rows' log-sum-exp (one read of the logits) rather than keeping it from the forward. */
            @Override
            public Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss) {
                Tensor lse = k.crossEntropy(logits, targets, ignoreIndex).lse();
                return k.crossEntropyBackward(logits, targets, lse, dloss, ignoreIndex);
            }
        });
        ops.register(FusedPromptSelection.OP, k::weightedCosineTopk);
        ops.register(FusedOptimizer.OP, new DeviceOptimizer());
        ops.register(TokenScoring.OP, (logits, targets, ignoreIndex) -> {
            DeviceKernels.TokenScoreTensors t = k.tokenScores(logits, targets, ignoreIndex);   // three floats per token out
            return new TokenScores(t.nll().toFloatArray(), t.entropy().toFloatArray(), t.el2n().toFloatArray());
        });
        ops.register(GradientProjection.RADEMACHER, new DeviceProjection());
        ops.register(NearestCentroids.OP, (x, centroids) -> {
            DeviceKernels.NearestCentroids r = k.kmeansAssign(x, centroids);   // labels and distances come out
            long[] wide = r.labels().toLongArray();
            int[] labels = new int[wide.length];
            for (int i = 0; i < labels.length; i++) labels[i] = (int) wide[i];
            return new KMeansAssignment.Assignment(labels, r.distances().toFloatArray());
        });
    }

    /** The dense Rademacher projection by the random_projection kernel (accumulating in place when out is on the device). */
    private final class DeviceProjection implements GradientProjection {
        @Override
        public Kind kind() { return Kind.DENSE; }

        @Override
        public void accumulate(Tensor x, long rowOffset, long seed, Tensor out) {
            GradientProjection.checkArguments(x, rowOffset, out);
            if (k.memory().holds(out)) {
                k.rademacherProjectAccumulate(x, rowOffset, seed, out);
                return;
            }
            Tensor part = k.rademacherProject(x, rowOffset, out.size(1), seed);     // [n, k], read back and added on the host
            java.nio.FloatBuffer o = out.storage().floats();
            float[] p = part.toFloatArray();
            for (int i = 0; i < p.length; i++) o.put(out.offset() + i, o.get(out.offset() + i) + p[i]);
            part.close();
        }
    }

    @Override
    public OpTable ops() { return ops; }

    /** A backend on the emulated device. */
    public static CudaBackend emulated() { return new CudaBackend(CudaDevice.emulated()); }

    @Override
    public String name() { return "cuda(" + device.name() + ")"; }

    public CudaDevice device() { return device; }

    /** What crossed between host and device since the last resetTraffic() (see PooledDeviceMemory). */
    public DeviceTraffic traffic() { return k.memory().traffic(); }

    /** Starts a new counting window for traffic(). */
    public void resetTraffic() { k.memory().resetTraffic(); }

    /** The ops that have been computed on the host so far because no kernel exists for them. */
    public Set<String> hostFallbacks() { return host.ops(); }

    // ------------------------------------------------------------------------------------------- GEMM

    @Override
    public Tensor matmul(Tensor a, Tensor b) { return device.gemm().matmul(a, b); }

    @Override
    public Tensor contiguous(Tensor x) {
        return k.contiguous(x);
    }

    // ------------------------------------------------------------------------------------------- memory

    /**
     * t copied into device memory (one transfer; t itself when already there). An I64 index tensor whose values
     * fit in int32 is stored as I32, the kernels' index type, so later kernels need not narrow it on the host.
     */
    @Override
    public Tensor place(Tensor t) {
        DeviceMemory memory = k.memory();
        if (memory.holds(t)) return t;
        if (t.dtype() == DType.I64) {
            long[] v = t.toLongArray();
            int[] narrow = new int[v.length];
            boolean fits = true;
            for (int i = 0; i < v.length && fits; i++) {
                narrow[i] = (int) v[i];
                fits = narrow[i] == v[i];
            }
            if (fits) return memory.upload(Tensor.ofInts(narrow, t.shape()));
        }
        return memory.upload(t);
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) { return k.memory().zeros(dtype, shape); }

    /** By the strided copy kernel when dst is in device memory; a host dst is written on the host. */
    @Override
    public void copyInto(Tensor dst, Tensor src) {
        if (k.memory().holds(dst)) k.copyInto(dst, src);
        else host.run("copyInto", be -> { be.copyInto(dst, src); return null; });
    }

    /** By the dropout kernel, in device memory (the same mask as on the host). */
    @Override
    public Tensor dropoutMask(int[] shape, float p, long seed) { return k.dropoutMask(shape, p, seed); }

    // ------------------------------------------------------------------------------------------- optimizer

    /** FusedOptimizer on this device: the optimizer.cu kernels; a tensor left on the host is updated on the host. */
    private final class DeviceOptimizer implements FusedOptimizer {
        private final FusedOptimizer onHost = FusedOptimizer.host(false);

        @Override
        public void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWStep step) {
            if (k.memory().holds(param) && k.memory().holds(expAvg) && k.memory().holds(expAvgSq)) {
                k.adamw(param, grad, expAvg, expAvgSq, step);
            } else {                               // a parameter left on the host is updated there, in place
                host.run("adamw on host parameters", be -> { onHost.adamw(param, grad, expAvg, expAvgSq, step); return null; });
            }
        }

        @Override
        public double[] sumsOfSquares(List<Tensor> xs) { return k.sumsOfSquares(xs); }

        @Override
        public void scaleInPlace(List<Tensor> xs, double factor) {
            for (Tensor x : xs) {
                if (k.memory().holds(x)) k.scaleInPlace(List.of(x), factor);
                else host.run("scaleInPlace on host tensors", be -> { onHost.scaleInPlace(List.of(x), factor); return null; });
            }
        }
    }

    // ------------------------------------------------------------------------------------------- element-wise

    @Override
    public Tensor add(Tensor a, Tensor b) { return k.binary(BinaryOp.ADD, a, b); }

    @Override
    public Tensor sub(Tensor a, Tensor b) { return k.binary(BinaryOp.SUB, a, b); }

    @Override
    public Tensor mul(Tensor a, Tensor b) { return k.binary(BinaryOp.MUL, a, b); }

    @Override
    public Tensor div(Tensor a, Tensor b) { return k.binary(BinaryOp.DIV, a, b); }

    @Override
    public Tensor scale(Tensor a, float s) { return k.unary(UnaryOp.SCALE, a, s); }

    @Override
    public Tensor exp(Tensor a) { return k.unary(UnaryOp.EXP, a, 0f); }

    @Override
    public Tensor log(Tensor a) { return k.unary(UnaryOp.LOG, a, 0f); }

    @Override
    public Tensor sqrt(Tensor a) { return k.unary(UnaryOp.SQRT, a, 0f); }

    @Override
    public Tensor tanh(Tensor a) { return k.unary(UnaryOp.TANH, a, 0f); }

    @Override
    public Tensor erf(Tensor a) { return k.unary(UnaryOp.ERF, a, 0f); }

    @Override
    public Tensor gelu(Tensor a) { return k.unary(UnaryOp.GELU, a, 0f); }

    @Override
    public Tensor geluTanh(Tensor a) { return k.unary(UnaryOp.GELU_TANH, a, 0f); }

    @Override
    public Tensor quickGelu(Tensor a) { return k.unary(UnaryOp.QUICK_GELU, a, 0f); }

    @Override
    public Tensor silu(Tensor a) { return k.unary(UnaryOp.SILU, a, 0f); }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) { return k.binary(BinaryOp.SWIGLU, gate, up); }

    // ------------------------------------------------------------------------------------------- row-wise

    @Override
    public Tensor softmax(Tensor x, float scale, Tensor mask) { return k.softmax(x, scale, mask); }

    @Override
    public Tensor logSoftmax(Tensor x, Tensor mask) { return k.logSoftmax(x, mask); }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return k.layerNorm(x, weight, bias, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return k.rmsNorm(x, weight, eps);
    }

    // Fused attention (attention.cu): no [T, Tk] score matrix; the backward reruns from the saved log-sum-exp.
    // One query row per head (a decode step against the KV cache) goes to the split-K kernel (decode_attention.cu),
    // which spreads the keys over many blocks instead of giving each head one block; same result and lse.
    // BF16 q, k and v (all three) with more than one query row go to the tensor-core kernels (attention_bf16.cu),
    // forward and backward alike (the backward follows the forward's dtype rule, so it gets that kernel's out/lse);
    // F32 operands keep the fp32 kernel, which stays the reference for the BF16 one.
    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return attentionForward(q, k, v, mask, scale).out();
    }

    // With the device's cuDNN route on (CudaDevice.dnn), BF16 problems cuDNN's fused SDPA expresses exactly
    // (PlannedDnn.sdpaProblem) go to cuDNN instead, forward and backward alike; the hand-written kernels stay the
    // fallback for everything else and the reference the cuDNN route is tested against.
    @Override
    public Forward attentionForward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        SdpaProblem viaDnn = dnnProblem(q, k, v, mask, scale);
        if (viaDnn != null) {
            DeviceKernels.AttentionResult r = device.dnn().attentionForward(viaDnn, q, k, v);
            return new Forward(r.out(), r.lse());
        }
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        Tensor keyValid = m.keyValidTensor(q.size(0), k.size(2));
        DeviceKernels.AttentionResult r = q.rank() == 4 && q.size(2) == 1
                ? this.k.decodeAttention(q, k, v, keyValid, m.isCausal(), m.start(), scale)
                : DeviceKernels.bf16Attention(q, k, v)
                ? this.k.attentionBf16Forward(q, k, v, keyValid, m.isCausal(), m.start(), scale)
                : this.k.attentionForward(q, k, v, keyValid, m.isCausal(), m.start(), scale);
        return new Forward(r.out(), r.lse());
    }

    @Override
    public Gradients attentionBackward(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale, Forward forward,
                                       Tensor dOut) {
        SdpaProblem viaDnn = dnnProblem(q, k, v, mask, scale);
        if (viaDnn != null) {
            DeviceKernels.AttentionGrads g = device.dnn().attentionBackward(viaDnn, q, k, v, forward.out(),
                    forward.lse(), dOut);
            return new Gradients(g.dq(), g.dk(), g.dv());
        }
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        Tensor keyValid = m.keyValidTensor(q.size(0), k.size(2));
        DeviceKernels.AttentionGrads g = DeviceKernels.bf16Attention(q, k, v) && !(q.rank() == 4 && q.size(2) == 1)
                ? this.k.attentionBf16Backward(q, k, v, keyValid, m.isCausal(), m.start(), scale, forward.out(),
                        forward.lse(), dOut)
                : this.k.attentionBackward(q, k, v, keyValid, m.isCausal(), m.start(), scale, forward.out(),
                        forward.lse(), dOut);
        return new Gradients(g.dq(), g.dk(), g.dv());
    }

    // The cuDNN SDPA problem for these operands when the device has a cuDNN route and cuDNN takes them, else null.
    private SdpaProblem dnnProblem(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale) {
        return device.dnn() == null ? null : device.dnn().sdpaProblemFor(q, k, v, mask, scale);
    }

    @Override
    public Tensor rope(Tensor x, Tensor positions, float theta) {
        return k.rope(x, positions, theta);
    }

    // ------------------------------------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, Tensor ids) { return k.embedding(table, ids); }

    /** Each part copied into its slice of a new device tensor (the strided copy kernel); mixed dtypes on the host. */
    @Override
    public Tensor concat(List<Tensor> parts, int dim) {
        if (parts.isEmpty() || !sameDtype(parts) || parts.get(0).rank() > 6) return host.run("concat", be -> be.concat(parts, dim));
        Tensor first = parts.get(0);
        int d = dev.perennial.tensor.Shapes.dim(dim, first.rank());
        int[] shape = first.shape();
        int total = 0;
        for (Tensor p : parts) {
            int[] ps = p.shape();
            if (ps.length != shape.length) return host.run("concat", be -> be.concat(parts, dim));   // its error
            ps[d] = shape[d];
            if (!java.util.Arrays.equals(ps, shape)) return host.run("concat", be -> be.concat(parts, dim));
            total += p.size(d);
        }
        shape[d] = total;
        Tensor out = k.memory().empty(first.dtype(), shape);
        int at = 0;
        for (Tensor p : parts) {
            k.copyInto(out.narrow(d, at, p.size(d)), p);
            at += p.size(d);
        }
        return out;
    }

    /** Views of x, as on the CPU: nothing is copied. */
    @Override
    public List<Tensor> split(Tensor x, int[] sizes, int dim) { return VIEWS.split(x, sizes, dim); }

    /** Each part copied into its slot of a new device tensor; mixed dtypes or shapes go to the host (and its error). */
    @Override
    public Tensor stack(List<Tensor> parts, int dim) {
        if (parts.isEmpty() || !sameDtype(parts) || parts.get(0).rank() >= 6) return host.run("stack", be -> be.stack(parts, dim));
        int[] s0 = parts.get(0).shape();
        for (Tensor p : parts) if (!java.util.Arrays.equals(p.shape(), s0)) return host.run("stack", be -> be.stack(parts, dim));
        int d = dev.perennial.tensor.Shapes.dim(dim, s0.length + 1);
        int[] shape = new int[s0.length + 1];
        for (int i = 0, j = 0; i < shape.length; i++) shape[i] = i == d ? parts.size() : s0[j++];
        Tensor out = k.memory().empty(parts.get(0).dtype(), shape);
        for (int i = 0; i < parts.size(); i++) k.copyInto(out.select(d, i), parts.get(i));
        return out;
    }

    private static boolean sameDtype(List<Tensor> parts) {
        for (Tensor p : parts) if (p.dtype() != parts.get(0).dtype()) return false;
        return true;
    }

    // ------------------------------------------------------------------------------------------- reductions

    // The row_reduce kernels reduce the last dim; another dim is first moved last by the strided copy kernel.
    @Override
    public Tensor sum(Tensor x, int dim, boolean keepDim) { return reduce(x, dim, keepDim, k::rowSum); }

    @Override
    public Tensor mean(Tensor x, int dim, boolean keepDim) { return reduce(x, dim, keepDim, k::rowMean); }

    @Override
    public Tensor max(Tensor x, int dim, boolean keepDim) { return reduce(x, dim, keepDim, k::rowMax); }

    private Tensor reduce(Tensor x, int dim, boolean keepDim, java.util.function.UnaryOperator<Tensor> rows) {
        int d = dev.perennial.tensor.Shapes.dim(dim, x.rank());
        Tensor moved = x;                                        // [..., x.size(d)] with the other dims in order
        if (d != x.rank() - 1) {
            int[] perm = new int[x.rank()];
            for (int i = 0, j = 0; i < x.rank(); i++) if (i != d) perm[j++] = i;
            perm[x.rank() - 1] = d;
            moved = k.contiguous(x.permute(perm));
        }
        Tensor reduced = rows.apply(moved);                      // x's shape without dim d
        if (!keepDim) return reduced;
        int[] shape = x.shape();
        shape[d] = 1;
        return reduced.reshape(shape);
    }

    @Override
    public Tensor argmax(Tensor x) { return k.argmax(x); }

    @Override
    public TopK topk(Tensor x, int kk) { return host.run("topk", be -> be.topk(x, kk)); }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        return k.crossEntropy(logits, targets, ignoreIndex).loss();
    }
}
