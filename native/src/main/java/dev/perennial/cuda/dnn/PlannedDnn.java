/*
 * The Backend-level calls the CUDA backend sends to cuDNN, planned once for every device (as PlannedGemm plans
 * cuBLAS calls): the CLIP patch embedding as one cuDNN convolution, and BF16 scaled-dot-product attention as cuDNN's
 * fused SDPA graphs (SdpaGraphs), forward and backward. This class builds the problems, graphs and variant packs and
 * converts results to the backend's contract (F32 out, lse, gradients); the engine (gpu.CudnnDnn on a GPU,
 * EmulatedDnn on the emulated device) only runs them, so the emulated device exercises every shape, stride, type
 * and uid a GPU gets.
 *
 * Which calls come here (sdpaProblem decides; everything else keeps the hand-written kernels, which stay the
 * tested reference): q, k, v all BF16 with more than one query row, hd a multiple of 8 up to 128 (cuDNN's SDPA
 * support surface on sm_80/sm_90), and a mask cuDNN's masks express exactly (SdpaProblem.of: causal with any
 * cache offset, valid keys a prefix of each batch row, every query row seeing a key).
 *
 * Roundings (documented in docs/kernels.md "cuDNN"): the probabilities P and dS are BF16 operands of the
 * tensor-core products (as in attention_bf16.cu); O, dK and dV come out of cuDNN in BF16 and are widened; dQ is
 * cuDNN's F32 accumulator; the backward reads O and dO rounded to BF16 (O is exact: it came out in BF16).
 */
package dev.perennial.cuda.dnn;

import dev.perennial.cuda.DeviceKernels;
import dev.perennial.cuda.DeviceMemory;
import dev.perennial.cuda.UnaryOp;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Patch-embedding convolution and BF16 SDPA through a {@link DeviceDnn}. Thread-safe. */
public final class PlannedDnn {
    private static final int CACHED_GRAPHS = 32;

    private final DeviceKernels k;
    private final DeviceMemory memory;
    private final DeviceDnn dnn;
    private final Map<SdpaProblem, DnnGraph[]> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SdpaProblem, DnnGraph[]> e) { return size() > CACHED_GRAPHS; }
    };

    public PlannedDnn(DeviceKernels k, DeviceDnn dnn) {
        this.k = k;
        this.memory = k.memory();
        this.dnn = dnn;
    }

    public DeviceDnn engine() { return dnn; }

    /**
     * The ViT patch embedding: pixels [B, C, S, S] convolved with weight [D, C, p, p] at stride p, as a new F32
     * tensor [B, (S/p)^2, D] (patches row-major). BF16 pixels with a BF16 weight run a BF16 convolution (cuDNN's
     * BFLOAT16 configuration: BF16 output, widened); anything else an F32 one (a BF16 weight widened exactly).
     */
    public Tensor patchEmbedding(Tensor pixels, Tensor weight, int patch) {
        if (pixels.rank() != 4 || weight.rank() != 4 || weight.size(1) != pixels.size(1) || weight.size(2) != patch
                || weight.size(3) != patch || pixels.size(2) != pixels.size(3)) {
            throw new IllegalArgumentException("patch embedding takes pixels [B, C, S, S] and a weight [D, C, " + patch
                    + ", " + patch + "], got " + pixels + " and " + weight);
        }
        DType dt = pixels.dtype() == DType.BF16 && weight.dtype() == DType.BF16 ? DType.BF16 : DType.F32;
        Tensor x = memory.input(pixels, dt), w = memory.input(weight, dt);
        ConvProblem p = ConvProblem.patchEmbedding(x.size(0), x.size(1), x.size(2), longs(x.strides()), w.size(0), patch,
                dt == DType.BF16 ? DnnType.BF16 : DnnType.F32);
        int[] ys = p.yShape();
        Tensor y = memory.empty(dt, ys);
        dnn.convForward(p, x, w, y);
        // [B, D, g, g] -> [B, g*g, D]: one strided copy (widening BF16), the layout every cuDNN algorithm writes
        return k.unary(UnaryOp.COPY, y.reshape(ys[0], ys[1], ys[2] * ys[3]).transpose(1, 2), 0f);
    }

    /**
     * The SDPA problem of these operands and mask when this route takes them (BF16 q, k, v of rank 4 with more
     * than one query row, hd a multiple of 8 up to 128, a mask cuDNN expresses exactly), else null.
     */
    public static SdpaProblem sdpaProblem(Tensor q, Tensor kk, Tensor v, AttentionMask mask, float scale) {
        if (q.dtype() != DType.BF16 || kk.dtype() != DType.BF16 || v.dtype() != DType.BF16 || q.rank() != 4
                || kk.rank() != 4 || !java.util.Arrays.equals(kk.shape(), v.shape())) return null;
        int b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = kk.size(1), tk = kk.size(2);
        if (t < 2 || tk < 1 || b < 1 || kk.size(0) != b || kk.size(3) != hd || hd % 8 != 0 || hd > 128 || kv < 1
                || h % kv != 0) return null;
        // packed strides here: operands(...) restates the problem with the strides of the views cuDNN reads
        return SdpaProblem.of(b, h, kv, t, tk, hd, packed(b, h, t, hd), packed(b, kv, tk, hd), packed(b, kv, tk, hd),
                mask, scale);
    }

    /**
     * The SDPA problem when this device's engine takes it (its sdpa() is on, {@link #sdpaProblem} accepts the
     * operands, and the engine has a plan for both graphs), else null: the caller keeps its own kernels.
     */
    public SdpaProblem sdpaProblemFor(Tensor q, Tensor kk, Tensor v, AttentionMask mask, float scale) {
        if (!dnn.sdpa()) return null;
        SdpaProblem p = sdpaProblem(q, kk, v, mask, scale);
        if (p == null) return null;
        DnnGraph[] g = graphs(p);
        return dnn.supports(g[0]) && dnn.supports(g[1]) ? p : null;
    }

    /** Forward of a problem from {@link #sdpaProblem}: F32 out [B, H, T, hd] and lse [B, H, T]. */
    public DeviceKernels.AttentionResult attentionForward(SdpaProblem p, Tensor q, Tensor kk, Tensor v) {
        Operands o = operands(p, q, kk, v);
        DnnGraph g = graphs(o.problem())[0];
        Tensor out16 = memory.empty(DType.BF16, p.b(), p.h(), p.t(), p.hd());
        Tensor stats = memory.empty(DType.F32, p.b(), p.h(), p.t(), 1);
        Map<Long, Tensor> pack = o.pack();
        pack.put(SdpaGraphs.O, out16);
        pack.put(SdpaGraphs.STATS, stats);
        dnn.execute(g, pack);
        Tensor out = k.unary(UnaryOp.COPY, out16, 0f);
        out16.close();
        return new DeviceKernels.AttentionResult(out, stats.reshape(p.b(), p.h(), p.t()));
    }

    /** Gradients for dout [B, H, T, hd] given the forward's out and lse: dq [B, H, T, hd], dk, dv [B, KV, Tk, hd]. */
    public DeviceKernels.AttentionGrads attentionBackward(SdpaProblem p, Tensor q, Tensor kk, Tensor v, Tensor out,
                                                         Tensor lse, Tensor dout) {
        int b = p.b(), h = p.h(), kv = p.kv(), t = p.t(), tk = p.tk(), hd = p.hd();
        requireShape("out", out, b, h, t, hd);
        requireShape("dout", dout, b, h, t, hd);
        requireShape("lse", lse, b, h, t);
        Operands o = operands(p, q, kk, v);
        DnnGraph g = graphs(o.problem())[1];
        Map<Long, Tensor> pack = o.pack();
        pack.put(SdpaGraphs.O, memory.input(out, DType.BF16));
        pack.put(SdpaGraphs.DO, memory.input(dout, DType.BF16));
        pack.put(SdpaGraphs.STATS, memory.input(lse, DType.F32).reshape(b, h, t, 1));
        Tensor dot = memory.empty(DType.F32, b, h, t, 1), dq = memory.empty(DType.F32, b, h, t, hd);
        Tensor dq16 = memory.empty(DType.BF16, b, h, t, hd), dk16 = memory.empty(DType.BF16, b, kv, tk, hd);
        Tensor dv16 = memory.empty(DType.BF16, b, kv, tk, hd);
        pack.put(SdpaGraphs.DOT_DO_O, dot);
        pack.put(SdpaGraphs.DQ_ACCUM, dq);
        pack.put(SdpaGraphs.DQ, dq16);
        pack.put(SdpaGraphs.DK, dk16);
        pack.put(SdpaGraphs.DV, dv16);
        dnn.execute(g, pack);
        Tensor dk = k.unary(UnaryOp.COPY, dk16, 0f), dv = k.unary(UnaryOp.COPY, dv16, 0f);
        for (Tensor scratch : new Tensor[]{dot, dq16, dk16, dv16}) scratch.close();
        return new DeviceKernels.AttentionGrads(dq, dk, dv);
    }

    // The graphs {forward, backward} of a problem, built once.
    private DnnGraph[] graphs(SdpaProblem p) {
        synchronized (graphs) {
            return graphs.computeIfAbsent(p, x -> new DnnGraph[]{SdpaGraphs.forward(x), SdpaGraphs.backward(x)});
        }
    }

    private record Operands(SdpaProblem problem, Map<Long, Tensor> pack) {}

    // q, k, v in device memory as cuDNN reads them (16-byte aligned, strides multiples of 8 elements, unit stride
    // along hd: the view itself when it is so, else a contiguous copy), the problem restated for those strides, and
    // the sequence lengths when keys are padded.
    private Operands operands(SdpaProblem p, Tensor q, Tensor kk, Tensor v) {
        Tensor qd = aligned(q), kd = aligned(kk), vd = aligned(v);
        SdpaProblem ps = new SdpaProblem(p.b(), p.h(), p.kv(), p.t(), p.tk(), p.hd(), strides(qd), strides(kd),
                strides(vd), p.scale(), p.causal(), p.start(), p.validKeys());
        Map<Long, Tensor> pack = new HashMap<>();
        pack.put(SdpaGraphs.Q, qd);
        pack.put(SdpaGraphs.K, kd);
        pack.put(SdpaGraphs.V, vd);
        if (p.padded()) {
            int[] seqQ = new int[p.b()];
            java.util.Arrays.fill(seqQ, p.t());
            pack.put(SdpaGraphs.SEQ_LEN_Q, memory.upload(Tensor.ofInts(seqQ, p.b(), 1, 1, 1)));
            pack.put(SdpaGraphs.SEQ_LEN_KV, memory.upload(Tensor.ofInts(p.validKeys(), p.b(), 1, 1, 1)));
        }
        return new Operands(ps, pack);
    }

    private Tensor aligned(Tensor t) {
        Tensor r = memory.resident(t);
        boolean ok = r.stride(3) == 1 && r.offset() % 8 == 0;
        for (int d = 0; d < 3 && ok; d++) ok = r.stride(d) >= 0 && (r.size(d) == 1 || r.stride(d) % 8 == 0);
        return ok ? r : k.contiguous(r);
    }

    private static long[] strides(Tensor t) { return longs(t.strides()); }

    private static long[] packed(long... dims) { return DnnTensor.packed(dims); }

    private static long[] longs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) l[i] = a[i];
        return l;
    }

    private static void requireShape(String name, Tensor t, int... shape) {
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " must be " + java.util.Arrays.toString(shape) + ", got " + t);
        }
    }
}
