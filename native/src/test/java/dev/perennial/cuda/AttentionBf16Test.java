/*
 * The BF16 tensor-core attention kernels (cuda/src/main/cuda/attention_bf16.cu) on the emulated device, whose
 * mma.sync/ldmatrix run through simt_mma.cuh, under both fiber orders.
 *
 * Inputs are drawn in float32 and rounded to bf16 first (q, k, v, and dout for the backward); every reference is
 * computed on the rounded values, so input rounding is not part of the error. References: the project's
 * (ReferenceBackend.DOUBLE.attention for out, the autograd of that composition in double for dq, dk, dv, as
 * AttentionTest), and BoundReference below, a direct double evaluation that also gives the per-element error bound
 * derived in docs/kernels.md ("attention_bf16"): float32 accumulation (u = 2^-24 per addition, any order), the
 * probabilities P and dS rounded to bf16 for the tensor-core products (2^-8 relative each), __expf's documented
 * GPU error (2 + 1.173 |x| ulp), and the forward's error propagated into D in the backward. The two references are
 * checked against each other (out to 1e-9; the gradients, which the tape keeps in float32 buffers, to 1 % of the
 * kernel's bound), the kernels against
 * BoundReference's values within its bounds.
 *
 * The tolerance is dominated by the 2^-8 P/dS rounding: out within ~2^-8 sum_j P_ij |v_j|, far below the O(1)
 * errors of a wrong mask, rescale, fragment layout or tile offset. A second test compares the gradients with the
 * fp32 kernel's (attention.cu) on the same rounded inputs: within the BF16 bound plus AttentionTest's fp32 bound.
 *
 * Cases: causal and full; MHA and GQA (4/2, 4/1); hd 8, 33 and 64 (HD = 64 bucket), 65 and 128 (HD = 128);
 * T, Tk in {1, 5, 16, 17, 67, 130} (tails that are not multiples of 16 or 64, several 64-row blocks and key tiles,
 * exact multiples of 16); a decode against a BF16 KV-cache view whose unused rows are NaN (start = Tk - T);
 * a padding mask where one batch row has no valid key (out 0, lse -inf, zero gradients); scale 1 on wide scores.
 */
package dev.perennial.cuda;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.AttentionReference;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.FusedAttention;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class AttentionBf16Test {
    private static final double U = 0x1p-24;    // float32 unit roundoff
    private static final double UB = 0x1p-8;    // bf16 unit roundoff: 8 significant bits, round to nearest
    private static final double FP32_ATOL = 1e-4, FP32_RTOL = 1e-3;   // AttentionTest's fp32 backward bound

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** One problem; masked: keys j % 3 == 0 of batch 0 invalid and every key of the last batch row invalid. */
    record Case(String name, int b, int h, int kv, int t, int tk, int hd, boolean causal, int start, float scale,
                boolean masked, boolean cacheView) {
        @Override
        public String toString() { return name; }
    }

    private static float s(int hd) { return (float) (1 / Math.sqrt(hd)); }

    static final List<Case> CASES = List.of(
            new Case("one query one key, hd 8", 1, 1, 1, 1, 1, 8, false, 0, s(8), false, false),
            new Case("MHA causal, hd 64, T=Tk=67", 1, 2, 2, 67, 67, 64, true, 0, s(64), false, false),
            new Case("GQA 4/2 causal, hd 128, T=Tk=130", 1, 4, 2, 130, 130, 128, true, 0, s(128), false, false),
            new Case("GQA 4/1 full, hd 128, T 17, Tk 67", 1, 4, 1, 17, 67, 128, false, 0, s(128), false, false),
            new Case("MHA causal, hd 128, T=Tk=16", 1, 2, 2, 16, 16, 128, true, 0, s(128), false, false),
            new Case("GQA 4/1 decode 5 queries, hd 64, BF16 cache view", 1, 4, 1, 5, 67, 64, true, 62, s(64), false,
                    true),
            new Case("padding, GQA 4/2 causal, hd 33, T=Tk=17", 2, 4, 2, 17, 17, 33, true, 0, s(33), true, false),
            new Case("full, hd 65, T 5, Tk 17", 2, 2, 1, 5, 17, 65, false, 0, s(65), false, false),
            new Case("wide scores (scale 1), full, hd 64, T=Tk=67", 1, 2, 1, 67, 67, 64, false, 0, 1f, false, false));

    static Stream<Arguments> cases() {
        return Stream.of(FiberOrder.values()).flatMap(o -> CASES.stream().map(c -> Arguments.of(o, c)));
    }

    /** BF16 operands of one case, the same values widened to F64, the mask and a bf16-valued dout (F32). */
    record Inputs(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean[][] valid, AttentionMask mask,
                          Tensor dout) {}

    static Inputs inputs(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor q, k, v;
        if (c.cacheView()) {   // rows past Tk of the caches are NaN (also in bf16): reading them shows
            q = gaussian(rnd, c.b(), c.h(), c.t() + 2, c.hd()).to(DType.BF16).narrow(2, 1, c.t());
            k = AttentionReference.nanTail(gaussian(rnd, c.b(), c.kv(), c.tk() + 5, c.hd()), c.tk()).to(DType.BF16)
                    .narrow(2, 0, c.tk());
            v = AttentionReference.nanTail(gaussian(rnd, c.b(), c.kv(), c.tk() + 5, c.hd()), c.tk()).to(DType.BF16)
                    .narrow(2, 0, c.tk());
        } else {
            q = gaussian(rnd, c.b(), c.h(), c.t(), c.hd()).to(DType.BF16);
            k = gaussian(rnd, c.b(), c.kv(), c.tk(), c.hd()).to(DType.BF16);
            v = gaussian(rnd, c.b(), c.kv(), c.tk(), c.hd()).to(DType.BF16);
        }
        boolean[][] valid = null;
        Tensor keyValid = null;
        if (c.masked()) {
            valid = new boolean[c.b()][c.tk()];
            keyValid = Tensor.zeros(DType.BOOL, c.b(), c.tk());
            for (int bi = 0; bi < c.b() - 1; bi++) {
                for (int j = 0; j < c.tk(); j++) {
                    valid[bi][j] = bi > 0 || j % 3 != 0;
                    if (valid[bi][j]) keyValid.setLong(1, bi, j);
                }
            }
        }
        AttentionMask mask = c.causal() ? AttentionMask.causal(c.start(), valid)
                : valid == null ? AttentionMask.none() : AttentionMask.padding(valid);
        Tensor dout = gaussian(new Random(c.name().hashCode() + 1L), c.b(), c.h(), c.t(), c.hd()).to(DType.BF16)
                .to(DType.F32);
        return new Inputs(q, k, v, keyValid, valid, mask, dout);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardWithinTheBf16Bound(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        DeviceKernels.AttentionResult r = EmulatedDevice.kernels().attentionBf16Forward(in.q(), in.k(), in.v(),
                in.keyValid(), c.causal(), c.start(), c.scale());
        BoundReference ref = new BoundReference(c, in, r.out().toFloatArray());

        Tensor project = ReferenceBackend.DOUBLE.attention(in.q().to(DType.F64), in.k().to(DType.F64),
                in.v().to(DType.F64), in.mask(), c.scale());
        assertNear("reference out", project.toDoubleArray(), ref.out, 1e-9);
        assertWithin("out", ref.out, ref.tolOut, r.out().toFloatArray());
        assertWithin("lse", ref.lse, ref.tolLse, r.lse().toFloatArray());
        if (c.masked()) {
            for (float x : r.out().select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x, "out of a row that sees no key");
            for (float x : r.lse().select(0, c.b() - 1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, x);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void backwardWithinTheBf16Bound(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        DeviceKernels kernels = EmulatedDevice.kernels();
        DeviceKernels.AttentionResult f = kernels.attentionBf16Forward(in.q(), in.k(), in.v(), in.keyValid(),
                c.causal(), c.start(), c.scale());
        DeviceKernels.AttentionGrads g = kernels.attentionBf16Backward(in.q(), in.k(), in.v(), in.keyValid(),
                c.causal(), c.start(), c.scale(), f.out(), f.lse(), in.dout());
        BoundReference ref = new BoundReference(c, in, f.out().toFloatArray());

        Gradients expected = autograd(c, in);
        // the tape keeps its gradient buffers in float32 (AttentionTest), so the two references differ by float32
        // roundings; they must agree within 1 % of the bound the kernel is held to
        assertNearBound("reference dq", expected.of(WATCHED[0]).toDoubleArray(), ref.dq, ref.tolDq);
        assertNearBound("reference dk", expected.of(WATCHED[1]).toDoubleArray(), ref.dk, ref.tolDk);
        assertNearBound("reference dv", expected.of(WATCHED[2]).toDoubleArray(), ref.dv, ref.tolDv);
        assertWithin("dq", ref.dq, ref.tolDq, g.dq().toFloatArray());
        assertWithin("dk", ref.dk, ref.tolDk, g.dk().toFloatArray());
        assertWithin("dv", ref.dv, ref.tolDv, g.dv().toFloatArray());
        if (c.masked()) {
            for (Tensor t : List.of(g.dq(), g.dk(), g.dv())) {
                for (float x : t.select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x);
            }
        }
    }

    /** The BF16 kernels' gradients against the fp32 kernel's on the same bf16-rounded inputs (widened to F32). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientsAgreeWithTheFp32Kernel(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        DeviceKernels kernels = EmulatedDevice.kernels();
        DeviceKernels.AttentionResult f = kernels.attentionBf16Forward(in.q(), in.k(), in.v(), in.keyValid(),
                c.causal(), c.start(), c.scale());
        DeviceKernels.AttentionGrads g = kernels.attentionBf16Backward(in.q(), in.k(), in.v(), in.keyValid(),
                c.causal(), c.start(), c.scale(), f.out(), f.lse(), in.dout());
        Tensor q32 = in.q().to(DType.F32), k32 = in.k().to(DType.F32), v32 = in.v().to(DType.F32);
        DeviceKernels.AttentionResult f32 = kernels.attentionForward(q32, k32, v32, in.keyValid(), c.causal(),
                c.start(), c.scale());
        DeviceKernels.AttentionGrads g32 = kernels.attentionBackward(q32, k32, v32, in.keyValid(), c.causal(),
                c.start(), c.scale(), f32.out(), f32.lse(), in.dout());
        BoundReference ref = new BoundReference(c, in, f.out().toFloatArray());
        assertAgree("dq", g32.dq().toFloatArray(), ref.dq, ref.tolDq, g.dq().toFloatArray());
        assertAgree("dk", g32.dk().toFloatArray(), ref.dk, ref.tolDk, g.dk().toFloatArray());
        assertAgree("dv", g32.dv().toFloatArray(), ref.dv, ref.tolDv, g.dv().toFloatArray());
    }

    /** CudaBackend sends BF16 q, k, v (T > 1) to these kernels, forward and backward; F32 to the fp32 kernel. */
    @Test
    void backendDispatchesBf16OperandsHere() {
        Case c = CASES.get(1);
        Inputs in = inputs(c);
        CudaBackend be = CudaBackend.emulated();
        DeviceKernels kernels = EmulatedDevice.kernels();
        FusedAttention.Forward fwd = be.attentionForward(in.q(), in.k(), in.v(), in.mask(), c.scale());
        DeviceKernels.AttentionResult direct = kernels.attentionBf16Forward(in.q(), in.k(), in.v(), null, true, 0,
                c.scale());
        assertArrayEquals(direct.out().toFloatArray(), fwd.out().toFloatArray());
        FusedAttention.Gradients grads = be.attentionBackward(in.q(), in.k(), in.v(), in.mask(), c.scale(), fwd,
                in.dout());
        DeviceKernels.AttentionGrads dg = kernels.attentionBf16Backward(in.q(), in.k(), in.v(), null, true, 0,
                c.scale(), direct.out(), direct.lse(), in.dout());
        assertArrayEquals(dg.dk().toFloatArray(), grads.dk().toFloatArray());
        Tensor fp32 = be.attention(in.q().to(DType.F32), in.k().to(DType.F32), in.v().to(DType.F32), in.mask(),
                c.scale());
        assertFalse(Arrays.equals(direct.out().toFloatArray(), fp32.toFloatArray()),
                "F32 operands use the fp32 kernel (different rounding)");
    }

    /** NaN-prefilled outputs are fully written: T = 0, Tk = 0 and keys no query sees (zero dk, dv). */
    @ParameterizedTest
    @MethodSource("orders")
    void outputsAreFullyWritten(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(5);
        int b = 1, h = 2, kv = 1, hd = 8;
        int[][] sizes = {{3, 40}, {0, 9}, {4, 0}};   // {T, Tk}; causal start 0: keys 3..39 are seen by no query
        for (int[] tt : sizes) {
            int t = tt[0], tk = tt[1];
            Tensor q = gaussian(rnd, b, h, t, hd).to(DType.BF16), k = gaussian(rnd, b, kv, tk, hd).to(DType.BF16);
            Tensor v = gaussian(rnd, b, kv, tk, hd).to(DType.BF16), dout = gaussian(rnd, b, h, t, hd);
            Tensor out = nans(b, h, t, hd), lse = nans(b, h, t);
            Tensor dq = nans(b, h, t, hd), dk = nans(b, kv, tk, hd), dv = nans(b, kv, tk, hd);
            long qhs = (long) t * hd, kvhs = (long) tk * hd;
            assertEquals(0, EmuKernels.pn_attention_bf16_forward(sp(q), sp(k), sp(v), null, b, h, kv, t, tk, hd,
                    h * qhs, qhs, kv * kvhs, kvhs, 1, 0, 0.5f, fp(out), fp(lse), null));
            assertEquals(0, EmuKernels.pn_attention_bf16_backward(sp(q), sp(k), sp(v), null, fp(out), fp(lse),
                    fp(dout), b, h, kv, t, tk, hd, h * qhs, qhs, kv * kvhs, kvhs, 1, 0, 0.5f, fp(dq), fp(dk), fp(dv),
                    null));
            for (Tensor x : List.of(out, lse, dq, dk, dv)) {
                for (float y : x.toFloatArray()) assertTrue(!Float.isNaN(y), "T " + t + ", Tk " + tk + ": NaN left");
            }
            if (t == 3) {
                float[] dkv = dk.toFloatArray(), dvv = dv.toFloatArray();
                for (int i = 3 * hd; i < tk * hd; i++) {
                    assertEquals(0f, dkv[i], "dk of unseen key " + i / hd);
                    assertEquals(0f, dvv[i], "dv of unseen key " + i / hd);
                }
            }
        }
    }

    static Stream<FiberOrder> orders() { return Stream.of(FiberOrder.values()); }

    @Test
    void launchersAndFacadeRejectBadInput() {
        int[][] bad = {{2, 1, 3, 3, 0, 1}, {2, 1, 3, 3, 129, 1}, {3, 2, 3, 3, 8, 1}, {2, 0, 3, 3, 8, 1},
                {2, 1, -1, 3, 8, 1}, {2, 1, 3, 3, 8, -1}};   // {H, KV, T, Tk, hd, stride sign}
        for (int[] a : bad) {
            String what = Arrays.toString(a);
            assertEquals(1, EmuKernels.pn_attention_bf16_forward(null, null, null, null, 1, a[0], a[1], a[2], a[3],
                    a[4], a[5], a[5], a[5], a[5], 0, 0, 1f, null, null, null), "forward " + what);
            assertEquals(1, EmuKernels.pn_attention_bf16_backward(null, null, null, null, null, null, null, 1, a[0],
                    a[1], a[2], a[3], a[4], a[5], a[5], a[5], a[5], 0, 0, 1f, null, null, null, null), "backward " + what);
        }
        Tensor q = Tensor.zeros(DType.BF16, 1, 1, 2, 8), f = Tensor.zeros(1, 1, 2, 8);
        assertThrows(IllegalArgumentException.class,
                () -> EmulatedDevice.kernels().attentionBf16Forward(q, f, q, null, false, 0, 1f));
    }

    // ------------------------------------------------------------------------------------- references and bounds

    private static final Tensor[] WATCHED = new Tensor[3];

    // The autograd of ReferenceBackend.DOUBLE's attention for L = sum(out * dout) (as AttentionTest).
    private static Gradients autograd(Case c, Inputs in) {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(ReferenceBackend.DOUBLE, tape);
        Tensor q = tape.watch(in.q().to(DType.F64)), k = tape.watch(in.k().to(DType.F64));
        Tensor v = tape.watch(in.v().to(DType.F64));
        WATCHED[0] = q;
        WATCHED[1] = k;
        WATCHED[2] = v;
        Tensor out = gb.attention(q, k, v, in.mask(), c.scale());
        int n = (int) out.numel();
        Tensor loss = gb.sum(gb.contiguous(gb.mul(out, in.dout().to(DType.F64))).reshape(n), 0, false);
        return tape.backward(loss);
    }

    /**
     * Exact attention in double on the bf16 inputs and the per-element bounds of docs/kernels.md
     * ("attention_bf16", "Error bound"). kernelOut (the BF16 forward's out) enters the backward's D, as in the kernel.
     */
    static final class BoundReference {
        final double[] out, tolOut, lse, tolLse, dq, tolDq, dk, tolDk, dv, tolDv;

        BoundReference(Case c, Inputs in, float[] kernelOut) { this(c, in, kernelOut, false); }

        /**
         * With bf16Outputs, out, dk and dv are also rounded to bf16 once at the end (cuDNN's BF16 O, dK, dV; dQ stays
         * its float32 accumulator): each bound grows by 2^-8 (bf16's unit roundoff) of the value plus its own bound, and out's larger bound
         * enters the backward through D.
         */
        BoundReference(Case c, Inputs in, float[] kernelOut, boolean bf16Outputs) {
            int b = c.b(), h = c.h(), kv = c.kv(), t = c.t(), tk = c.tk(), hd = c.hd(), group = h / kv;
            int hdp = hd <= 64 ? 64 : 128;                     // padded head dim: the mma sums HD products
            int tiles = (tk + 63) / 64;                        // forward key tiles: rescales per row
            int tkp = (tk + 15) / 16 * 16;                     // keys summed by dQ's mma (padded)
            int nqp = group * ((t + 15) / 16 * 16);            // query rows summed by dK/dV's mma (padded)
            double sc = c.scale(), asc = Math.abs(sc);
            double[] q = in.q().to(DType.F64).toDoubleArray(), k = in.k().to(DType.F64).toDoubleArray();
            double[] v = in.v().to(DType.F64).toDoubleArray(), g = in.dout().to(DType.F64).toDoubleArray();
            out = new double[b * h * t * hd];
            tolOut = new double[out.length];
            lse = new double[b * h * t];
            tolLse = new double[lse.length];
            dq = new double[out.length];
            tolDq = new double[out.length];
            dk = new double[b * kv * tk * hd];
            tolDk = new double[dk.length];
            dv = new double[dk.length];
            tolDv = new double[dk.length];
            for (int bi = 0; bi < b; bi++) {
                for (int hi = 0; hi < h; hi++) {
                    int kvh = hi / group;
                    for (int i = 0; i < t; i++) {
                        int qr = ((bi * h + hi) * t + i) * hd;
                        double[] s = new double[tk], sabs = new double[tk], p = new double[tk];
                        boolean[] vis = new boolean[tk];
                        double m = Double.NEGATIVE_INFINITY, eps = 0;
                        for (int j = 0; j < tk; j++) {
                            vis[j] = in.mask().keyValid(bi, j) && (!c.causal() || j <= c.start() + i);
                            if (!vis[j]) continue;
                            int kr = ((bi * kv + kvh) * tk + j) * hd;
                            double dot = 0, abs = 0;
                            for (int d = 0; d < hd; d++) {
                                dot += q[qr + d] * k[kr + d];
                                abs += Math.abs(q[qr + d] * k[kr + d]);
                            }
                            s[j] = sc * dot;
                            sabs[j] = asc * abs;
                            m = Math.max(m, s[j]);
                            eps = Math.max(eps, (hdp + 2) * U * sabs[j]);   // score error: HD additions, the scale
                        }
                        int row = (bi * h + hi) * t + i;
                        if (m == Double.NEGATIVE_INFINITY) {                // no visible key: exact zeros, -inf
                            lse[row] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double l = 0, range = 0;
                        for (int j = 0; j < tk; j++) {
                            if (!vis[j]) continue;
                            p[j] = Math.exp(s[j] - m);
                            l += p[j];
                            range = Math.max(range, m - s[j]);
                        }
                        range += 2 * eps;
                        // relative error of each weight exp(s~ - m~) (shared by numerator and denominator): the
                        // score errors, __expf (2 + 1.173 |x| ulp) plus the subtraction, once per rescale
                        double eta = 2 * eps + (tiles + 1) * (3 + 1.173 * range) * 0x1p-23;
                        lse[row] = m + Math.log(l);
                        tolLse[row] = 1.01 * (2 * eps + eta + (tk + 4) * U) + 4 * U * Math.abs(lse[row]);
                        for (int d = 0; d < hd; d++) {
                            double o = 0, a = 0;
                            for (int j = 0; j < tk; j++) {
                                if (!vis[j]) continue;
                                double vj = v[((bi * kv + kvh) * tk + j) * hd + d];
                                o += p[j] / l * vj;
                                a += p[j] / l * Math.abs(vj);
                            }
                            out[qr + d] = o;
                            // P rounded to bf16 in the numerator, the weights' error in both sums, fp32 sums over
                            // Tk keys (numerator and denominator) and the final division
                            tolOut[qr + d] = 1.01 * (UB + 2 * eta + (2 * tk + 8) * U) * a;
                            if (bf16Outputs) tolOut[qr + d] += 1.01 * UB * (Math.abs(o) + tolOut[qr + d]);
                        }
                        // backward of row i: D from the kernel's own out (its error enters), dP, dS and the bounds
                        double dd = 0, ddErr = 0;
                        for (int d = 0; d < hd; d++) {
                            dd += g[qr + d] * out[qr + d];
                            ddErr += (hd + 1) * U * Math.abs(g[qr + d] * kernelOut[qr + d])
                                    + Math.abs(g[qr + d]) * tolOut[qr + d];
                        }
                        for (int j = 0; j < tk; j++) {
                            if (!vis[j]) continue;
                            int kr = ((bi * kv + kvh) * tk + j) * hd;
                            double dp = 0, dpAbs = 0;
                            for (int d = 0; d < hd; d++) {
                                dp += g[qr + d] * v[kr + d];
                                dpAbs += Math.abs(g[qr + d] * v[kr + d]);
                            }
                            double pij = p[j] / l, ds = pij * (dp - dd);
                            double x = Math.abs(s[j] - lse[row]) + eps + tolLse[row];   // argument of exp in the kernel
                            double etaP = eps + tolLse[row] + (3 + 1.173 * x) * 0x1p-23;
                            double dsErr = pij * ((hdp + 1) * U * dpAbs + ddErr) + (etaP + U) * Math.abs(ds);
                            for (int d = 0; d < hd; d++) {
                                double gd = g[qr + d], qd = q[qr + d], kd = k[kr + d];
                                dv[kr + d] += pij * gd;
                                tolDv[kr + d] += 1.01 * (UB + etaP + (nqp + 2) * U) * pij * Math.abs(gd);
                                dk[kr + d] += sc * ds * qd;
                                tolDk[kr + d] += 1.01 * asc * ((UB + (nqp + 2) * U) * Math.abs(ds) + (1 + UB) * dsErr)
                                        * Math.abs(qd);
                                dq[qr + d] += sc * ds * kd;
                                tolDq[qr + d] += 1.01 * asc * ((UB + (tkp + 2) * U) * Math.abs(ds) + (1 + UB) * dsErr)
                                        * Math.abs(kd);
                            }
                        }
                    }
                }
            }
            if (bf16Outputs) {
                for (int i = 0; i < dk.length; i++) {
                    tolDk[i] += 1.01 * UB * (Math.abs(dk[i]) + tolDk[i]);
                    tolDv[i] += 1.01 * UB * (Math.abs(dv[i]) + tolDv[i]);
                }
            }
        }
    }

    // |actual - expected| <= tol elementwise (-inf must match exactly; NaN never passes); prints the worst ratio.
    static void assertWithin(String what, double[] expected, double[] tol, float[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, actual[i], what + "[" + i + "]");
                continue;
            }
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= tol[i])) {
                fail(what + "[" + i + "]: " + actual[i] + " vs " + expected[i] + ", error " + err + " > bound " + tol[i]);
            }
            if (tol[i] > 0) worst = Math.max(worst, err / tol[i]);
        }
        System.out.printf("%s: worst error %.3f of the bound%n", what, worst);
    }

    // The BF16 kernel's gradient against the fp32 kernel's: within the BF16 bound plus the fp32 kernel's bound.
    private static void assertAgree(String what, float[] fp32, double[] ref, double[] tol, float[] actual) {
        for (int i = 0; i < actual.length; i++) {
            double bound = tol[i] + FP32_ATOL + FP32_RTOL * Math.abs(ref[i]);
            double err = Math.abs(actual[i] - fp32[i]);
            if (!(err <= bound)) fail(what + "[" + i + "]: bf16 " + actual[i] + " vs fp32 " + fp32[i] + " > " + bound);
        }
    }

    private static void assertNear(String what, double[] expected, double[] actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == actual[i]) continue;
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= tol * (1 + Math.abs(expected[i])))) fail(what + "[" + i + "]: " + actual[i] + " vs " + expected[i]);
        }
    }

    private static void assertNearBound(String what, double[] expected, double[] actual, double[] bound) {
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= 0.01 * bound[i] || expected[i] == actual[i])) {
                fail(what + "[" + i + "]: " + actual[i] + " vs " + expected[i] + " beyond 1 % of the bound " + bound[i]);
            }
        }
    }

    private static Tensor nans(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, Float.NaN);
        return t;
    }

    private static FloatPointer fp(Tensor t) { return new FloatPointer(t.storage().pointer()).position(t.offset()); }

    private static Pointer sp(Tensor t) { return new ShortPointer(t.storage().pointer()).position(t.offset()); }
}
