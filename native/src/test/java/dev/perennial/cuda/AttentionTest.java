/*
 * The fused attention kernels (cuda/src/main/cuda/attention.cu) on the emulated device, under both fiber orders.
 *
 * Forward against the composition that defines Backend.attention (ReferenceBackend.INSTANCE.attention(q, k, v,
 * AttentionMask, scale)), and lse against a log-sum-exp in double. Backward against the autograd: GradBackend
 * over ReferenceBackend.DOUBLE records the same composition, and
 * Tape.backward of L = sum(out * dout) gives dq, dk, dv (float64 ops; the tape rounds its gradient buffers to
 * float32, ~6e-8 relative, far below the tolerance). The kernel backward is fed the kernel forward's out and lse,
 * as training will.
 *
 * Tolerances |a - r| <= atol + rtol |r|: forward 1e-5 + 1e-4 |r|, backward 1e-4 + 1e-3 |r|. The kernels
 * accumulate in float32: a score is a dot product over hd <= 128 terms (relative error ~ hd * 2^-24 = 8e-6 of
 * sum |q||k| in the worst case, ~1e-6 typical), out and lse are sums over Tk <= 67 keys; the backward adds
 * dS = P (dP - D), whose difference cancels (absolute error ~ |dP| * 1e-6, relative to a smaller result), and
 * two more reductions (dK, dV over T * H / KV <= 268 rows; dQ over Tk keys), hence the 10x looser backward
 * bound. Observed errors are below 2e-5 absolute in every case here.
 *
 * Cases: causal and full masks; MHA and GQA (H = 4 over KV = 2 and 1); hd 1, 8, 32, 33, 64, 65, 128 (all three
 * head-dim buckets, odd sizes); T, Tk in {1, 5, 17, 67} (67 = several tiles plus a partial one), decoding
 * against a KV cache (T < Tk, start = Tk - T) with k, v narrowed views of a larger cache whose unused rows are
 * NaN (so reading past Tk shows), q as a narrowed view and as a transposed view (copied); padding masks of
 * several dtypes where one batch row has no valid key (out 0, lse -inf, zero gradients, no NaN); scale 1 on
 * wide scores so the online-softmax rescale matters.
 */
package dev.perennial.cuda;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.AttentionReference;
import dev.perennial.tensor.AttentionReference.Layout;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.perennial.tensor.AttentionReference.assertClose;
import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttentionTest {
    private static final double FWD_ATOL = 1e-5, FWD_RTOL = 1e-4;
    private static final double BWD_ATOL = 1e-4, BWD_RTOL = 1e-3;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }


    /**
     * One attention problem. maskType null = no padding mask; otherwise keyValid [B, Tk] of that dtype with keys
     * j % 3 == 0 of batch 0 invalid (so causal query 0 of batch 0 sees nothing) and every key of the last batch
     * row invalid.
     */
    record Case(String name, int b, int h, int kv, int t, int tk, int hd, boolean causal, int start, float scale,
                DType maskType, Layout layout) {
        @Override
        public String toString() { return name; }
    }

    private static float s(int hd) { return (float) (1 / Math.sqrt(hd)); }

    static final List<Case> CASES = List.of(
            new Case("one query one key, hd 1", 1, 1, 1, 1, 1, 1, false, 0, 1f, null, Layout.CONTIGUOUS),
            new Case("MHA full, hd 8, T=Tk=5", 2, 2, 2, 5, 5, 8, false, 0, s(8), null, Layout.CONTIGUOUS),
            new Case("MHA causal, hd 64, T=Tk=67", 1, 2, 2, 67, 67, 64, true, 0, s(64), null, Layout.CONTIGUOUS),
            new Case("GQA 4/2 causal, hd 128, T=Tk=17", 2, 4, 2, 17, 17, 128, true, 0, s(128), null, Layout.CONTIGUOUS),
            new Case("GQA 4/1 full, hd 33, T 17, Tk 67", 1, 4, 1, 17, 67, 33, false, 0, s(33), null, Layout.CONTIGUOUS),
            new Case("GQA 4/2 decode 1 query, hd 128, cache view", 2, 4, 2, 1, 67, 128, true, 66, s(128), null,
                    Layout.CACHE_VIEW),
            new Case("GQA 4/1 decode 5 queries, hd 64, cache view", 1, 4, 1, 5, 67, 64, true, 62, s(64), null,
                    Layout.CACHE_VIEW),
            new Case("padding BOOL, GQA 4/2 causal, hd 33, T=Tk=17", 2, 4, 2, 17, 17, 33, true, 0, s(33), DType.BOOL,
                    Layout.CONTIGUOUS),
            new Case("padding I64, MHA full, hd 8, T 5, Tk 67, cache view", 2, 2, 2, 5, 67, 8, false, 0, s(8),
                    DType.I64, Layout.CACHE_VIEW),
            new Case("padding I32, GQA 4/1 causal, hd 128, T=Tk=67", 2, 4, 1, 67, 67, 128, true, 0, s(128), DType.I32,
                    Layout.CONTIGUOUS),
            new Case("padding U8, GQA 4/2 decode 5 queries, hd 65", 2, 4, 2, 5, 17, 65, true, 12, s(65), DType.U8,
                    Layout.CONTIGUOUS),
            new Case("causal T 67 > Tk 5, hd 65", 1, 2, 1, 67, 5, 65, true, 0, s(65), null, Layout.CONTIGUOUS),
            new Case("wide scores (scale 1), full, hd 32, T=Tk=67", 2, 2, 1, 67, 67, 32, false, 0, 1f, null,
                    Layout.CONTIGUOUS),
            new Case("transposed q, GQA 4/2 decode 5 queries, hd 8", 2, 4, 2, 5, 17, 8, true, 12, s(8), null,
                    Layout.TRANSPOSED_Q));

    static Stream<Arguments> cases() {
        return Stream.of(FiberOrder.values()).flatMap(o -> CASES.stream().map(c -> Arguments.of(o, c)));
    }

    /** The operands of one case. */
    private record Inputs(Tensor q, Tensor k, Tensor v, Tensor keyValid, boolean[][] valid, AttentionMask mask) {}

    private static Inputs inputs(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor[] qkv = AttentionReference.operands(rnd, c.layout(), c.b(), c.h(), c.kv(), c.t(), c.tk(), c.hd());
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        boolean[][] valid = null;
        Tensor keyValid = null;
        if (c.maskType() != null) {
            valid = new boolean[c.b()][c.tk()];
            keyValid = Tensor.zeros(c.maskType(), c.b(), c.tk());
            for (int bi = 0; bi < c.b() - 1; bi++) {
                for (int j = 0; j < c.tk(); j++) {
                    valid[bi][j] = bi > 0 || j % 3 != 0;
                    if (valid[bi][j]) keyValid.setLong(1 + j % 2, bi, j);   // any nonzero value means valid
                }
            }
        }
        AttentionMask mask = c.causal() ? AttentionMask.causal(c.start(), valid)
                : valid == null ? AttentionMask.none() : AttentionMask.padding(valid);
        return new Inputs(q, k, v, keyValid, valid, mask);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardMatchesAttentionAttend(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        DeviceKernels.AttentionResult r = EmulatedDevice.kernels().attentionForward(in.q(), in.k(), in.v(),
                in.keyValid(), c.causal(), c.start(), c.scale());

        Tensor expected = ReferenceBackend.INSTANCE.attention(in.q(), in.k(), in.v(), in.mask(), c.scale());
        assertClose("out", expected.toDoubleArray(), r.out().toFloatArray(), FWD_ATOL, FWD_RTOL);
        assertClose("lse", AttentionReference.lse(in.q(), in.k(), in.mask(), c.scale()), r.lse().toFloatArray(), FWD_ATOL, FWD_RTOL);
        if (c.maskType() != null) {                                    // the batch row without a valid key
            Tensor last = r.out().select(0, c.b() - 1);
            for (float x : last.toFloatArray()) assertEquals(0f, x, "out of a row that sees no key");
            for (float x : r.lse().select(0, c.b() - 1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, x);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void backwardMatchesAutogradInDouble(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        Tensor dout = gaussian(new Random(c.name().hashCode() + 1L), c.b(), c.h(), c.t(), c.hd());
        DeviceKernels kernels = EmulatedDevice.kernels();
        DeviceKernels.AttentionResult f = kernels.attentionForward(in.q(), in.k(), in.v(), in.keyValid(), c.causal(),
                c.start(), c.scale());
        DeviceKernels.AttentionGrads g = kernels.attentionBackward(in.q(), in.k(), in.v(), in.keyValid(), c.causal(),
                c.start(), c.scale(), f.out(), f.lse(), dout);

        Tape tape = new Tape();
        GradBackend gb = new GradBackend(ReferenceBackend.DOUBLE, tape);
        Tensor q = tape.watch(in.q().to(DType.F64)), k = tape.watch(in.k().to(DType.F64));
        Tensor v = tape.watch(in.v().to(DType.F64));
        Tensor out = gb.attention(q, k, v, in.mask(), c.scale());
        int n = (int) out.numel();
        Tensor loss = gb.sum(gb.contiguous(gb.mul(out, dout.to(DType.F64))).reshape(n), 0, false);
        Gradients expected = tape.backward(loss);

        assertClose("dq", expected.of(q).toDoubleArray(), g.dq().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dk", expected.of(k).toDoubleArray(), g.dk().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dv", expected.of(v).toDoubleArray(), g.dv().toFloatArray(), BWD_ATOL, BWD_RTOL);
        if (c.maskType() != null) {                                    // nothing flows through the empty batch row
            for (Tensor t : List.of(g.dq(), g.dk(), g.dv())) {
                for (float x : t.select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x);
            }
        }
    }

    /** Every output element is written, NaN-filled buffers included: zero-size sides and keys no query sees. */
    @ParameterizedTest
    @MethodSource("orders")
    void outputsAreFullyWritten(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(5);
        int b = 1, h = 2, kv = 1, hd = 8;
        // causal with start 0 and T < Tk: keys 3..39 are seen by no query, so their dk, dv are zero
        int[][] sizes = {{3, 40}, {0, 9}, {4, 0}};   // {T, Tk}
        for (int[] tt : sizes) {
            int t = tt[0], tk = tt[1];
            Tensor q = gaussian(rnd, b, h, t, hd), k = gaussian(rnd, b, kv, tk, hd), v = gaussian(rnd, b, kv, tk, hd);
            Tensor dout = gaussian(rnd, b, h, t, hd);
            Tensor out = nans(b, h, t, hd), lse = nans(b, h, t);
            Tensor dq = nans(b, h, t, hd), dk = nans(b, kv, tk, hd), dv = nans(b, kv, tk, hd);
            long qhs = (long) t * hd, kvhs = (long) tk * hd;
            assertEquals(0, EmuKernels.pn_attention_forward(fp(q), fp(k), fp(v), null, b, h, kv, t, tk, hd, h * qhs,
                    qhs, kv * kvhs, kvhs, 1, 0, 0.5f, fp(out), fp(lse), null));
            assertEquals(0, EmuKernels.pn_attention_backward(fp(q), fp(k), fp(v), null, fp(out), fp(lse), fp(dout),
                    b, h, kv, t, tk, hd, h * qhs, qhs, kv * kvhs, kvhs, 1, 0, 0.5f, fp(dq), fp(dk), fp(dv), null));
            for (Tensor x : List.of(out, lse, dq, dk, dv)) {
                for (float y : x.toFloatArray()) assertTrue(!Float.isNaN(y), "T " + t + ", Tk " + tk + ": NaN left in " + x);
            }
            if (tk == 0) {
                for (float y : out.toFloatArray()) assertEquals(0f, y);
                for (float y : lse.toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, y);
                for (float y : dq.toFloatArray()) assertEquals(0f, y);
            }
            if (t == 0) {
                for (float y : dk.toFloatArray()) assertEquals(0f, y);
                for (float y : dv.toFloatArray()) assertEquals(0f, y);
            }
            if (t == 3) {
                float[] dkv = dk.toFloatArray(), dvv = dv.toFloatArray();
                for (int i = 3 * hd; i < tk * hd; i++) {
                    assertEquals(0f, dkv[i], "dk of unseen key " + i / hd);
                    assertEquals(0f, dvv[i], "dv of unseen key " + i / hd);
                }
                boolean seen = false;
                for (int i = 0; i < 3 * hd; i++) seen |= dkv[i] != 0f;
                assertTrue(seen, "keys 0..2 are seen and get a gradient");
            }
        }
    }

    static Stream<FiberOrder> orders() { return Stream.of(FiberOrder.values()); }

    @Test
    void launchersRejectBadSizes() {
        // {H, KV, T, Tk, hd, batch/head stride sign}: hd 0 and 129, H % KV != 0, KV 0, negative T, negative stride
        int[][] bad = {{2, 1, 3, 3, 0, 1}, {2, 1, 3, 3, 129, 1}, {3, 2, 3, 3, 8, 1}, {2, 0, 3, 3, 8, 1},
                {2, 1, -1, 3, 8, 1}, {2, 1, 3, 3, 8, -1}};
        for (int[] a : bad) {
            String what = Arrays.toString(a);
            assertEquals(1, EmuKernels.pn_attention_forward(null, null, null, null, 1, a[0], a[1], a[2], a[3], a[4],
                    a[5], a[5], a[5], a[5], 0, 0, 1f, null, null, null), "forward " + what);
            assertEquals(1, EmuKernels.pn_attention_backward(null, null, null, null, null, null, null, 1, a[0], a[1],
                    a[2], a[3], a[4], a[5], a[5], a[5], a[5], 0, 0, 1f, null, null, null, null), "backward " + what);
        }
        Tensor q = Tensor.zeros(1, 1, 2, 129), kv = Tensor.zeros(1, 1, 2, 129);
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> EmulatedDevice.kernels().attentionForward(q, kv, kv, null, false, 0, 1f));
        assertEquals(1, e.code());
    }

    @Test
    void facadeRejectsMismatchedShapes() {
        DeviceKernels kernels = EmulatedDevice.kernels();
        Tensor q = Tensor.zeros(2, 3, 4, 8), k = Tensor.zeros(2, 2, 5, 8), k1 = Tensor.zeros(2, 1, 5, 8);
        assertThrows(IllegalArgumentException.class, () -> kernels.attentionForward(q, k, k, null, true, 0, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionForward(q, k1, Tensor.zeros(2, 1, 5, 4), null, true, 0, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionForward(q, k1, k1, Tensor.zeros(DType.BOOL, 2, 4), true, 0, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionForward(q, k1, k1, Tensor.zeros(2, 5), true, 0, 1f));
        DeviceKernels.AttentionResult f = kernels.attentionForward(q, k1, k1, null, true, 0, 1f);
        assertThrows(IllegalArgumentException.class, () -> kernels.attentionBackward(q, k1, k1, null, true, 0, 1f,
                f.out(), f.lse(), Tensor.zeros(2, 3, 4, 7)));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Tensor nans(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, Float.NaN);
        return t;
    }

    private static FloatPointer fp(Tensor t) { return new FloatPointer(t.storage().pointer()).position(t.offset()); }
}
