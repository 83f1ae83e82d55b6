/*
 * The CPU's fused attention (CpuAttention, what CpuBackend.attention and its FusedAttention backward run) against
 * the definition: the forward against ScaledDotProductAttention's composition on ReferenceBackend (double
 * accumulation), lse against a log-sum-exp in double, and the backward against the autograd of that composition
 * over ReferenceBackend.DOUBLE (Tape.backward of L = Σ out·dout), fed the fused forward's out and lse as training
 * does.
 *
 * Tolerances |a − r| ≤ atol + rtol·|r| as for the CUDA kernels (docs/kernels.md): forward 1e-5 + 1e-4·|r|,
 * backward 1e-4 + 1e-3·|r| (float32 GEMMs over hd ≤ 128 and Tk ≤ 150 terms; the backward's dS = P(dP − D)
 * cancels, hence the looser bound).
 *
 * Cases: causal and full, MHA and GQA, hd 1..128 odd and even, T and Tk across the 64-row block (1, 5, 17, 67,
 * 130), decoding after a cache (start > 0, k and v narrowed views of a larger cache whose unused rows are NaN),
 * a transposed q (rows strided by H·hd, read in place), padding where one batch row has no valid key (zero
 * output, lse −inf, no gradient), and scale 1 on wide scores. The double log-sum-exp, the comparison and the
 * operands come from AttentionReference, shared with the CUDA kernels' test.
 */
package dev.perennial.tensor;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import dev.perennial.tensor.AttentionReference.Layout;

import static dev.perennial.tensor.AttentionReference.assertClose;
import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuAttentionTest {
    private static final double FWD_ATOL = 1e-5, FWD_RTOL = 1e-4;
    private static final double BWD_ATOL = 1e-4, BWD_RTOL = 1e-3;
    private static final CpuBackend CPU = new CpuBackend();


    record Case(String name, int b, int h, int kv, int t, int tk, int hd, boolean causal, int start, float scale,
                boolean padding, Layout layout) {
        @Override
        public String toString() { return name; }
    }

    private static float s(int hd) { return (float) (1 / Math.sqrt(hd)); }

    static List<Case> cases() {
        return List.of(
                new Case("one query one key, hd 1", 1, 1, 1, 1, 1, 1, false, 0, 1f, false, Layout.CONTIGUOUS),
                new Case("MHA full, hd 8, T=Tk=5", 2, 2, 2, 5, 5, 8, false, 0, s(8), false, Layout.CONTIGUOUS),
                new Case("MHA causal, hd 64, T=Tk=67", 1, 2, 2, 67, 67, 64, true, 0, s(64), false, Layout.CONTIGUOUS),
                new Case("MHA causal, hd 64, T=Tk=130 (three blocks)", 1, 3, 3, 130, 130, 64, true, 0, s(64), false, Layout.CONTIGUOUS),
                new Case("GQA 4/2 causal, hd 128, T=Tk=17", 2, 4, 2, 17, 17, 128, true, 0, s(128), false, Layout.CONTIGUOUS),
                new Case("GQA 4/1 full, hd 33, T 17, Tk 67", 1, 4, 1, 17, 67, 33, false, 0, s(33), false, Layout.CONTIGUOUS),
                new Case("GQA 4/2 decode 1 query, hd 128, cache view", 2, 4, 2, 1, 67, 128, true, 66, s(128), false, Layout.CACHE_VIEW),
                new Case("causal after a cache, T 70 over Tk 100, cache view", 1, 2, 1, 70, 100, 32, true, 30, s(32), false, Layout.CACHE_VIEW),
                new Case("padding, GQA 4/2 causal, hd 33, T=Tk=17", 2, 4, 2, 17, 17, 33, true, 0, s(33), true, Layout.CONTIGUOUS),
                new Case("padding, MHA full, hd 8, T 5, Tk 67, cache view", 2, 2, 2, 5, 67, 8, false, 0, s(8), true, Layout.CACHE_VIEW),
                new Case("padding, GQA 4/1 causal, hd 65, T=Tk=130", 2, 4, 1, 130, 130, 65, true, 0, s(65), true, Layout.CONTIGUOUS),
                new Case("causal T 67 > Tk 5, hd 65", 1, 2, 1, 67, 5, 65, true, 0, s(65), false, Layout.CONTIGUOUS),
                new Case("wide scores (scale 1), full, hd 32, T=Tk=67", 2, 2, 1, 67, 67, 32, false, 0, 1f, false, Layout.CONTIGUOUS),
                new Case("transposed q, GQA 4/2 causal, T 70, hd 8", 2, 4, 2, 70, 70, 8, true, 0, s(8), false, Layout.TRANSPOSED_Q));
    }

    private record Inputs(Tensor q, Tensor k, Tensor v, AttentionMask mask) {}

    private static Inputs inputs(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor[] qkv = AttentionReference.operands(rnd, c.layout(), c.b(), c.h(), c.kv(), c.t(), c.tk(), c.hd());
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        boolean[][] valid = null;
        if (c.padding()) {                     // batch 0: keys j % 3 == 0 invalid; the last batch row: none valid
            valid = new boolean[c.b()][c.tk()];
            for (int bi = 0; bi < c.b() - 1; bi++) {
                for (int j = 0; j < c.tk(); j++) valid[bi][j] = bi > 0 || j % 3 != 0;
            }
        }
        AttentionMask mask = c.causal() ? AttentionMask.causal(c.start(), valid)
                : valid == null ? AttentionMask.none() : AttentionMask.padding(valid);
        return new Inputs(q, k, v, mask);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesTheComposition(Case c) {
        Inputs in = inputs(c);
        FusedAttention.Forward f = CPU.attentionForward(in.q(), in.k(), in.v(), in.mask(), c.scale());
        Tensor expected = ReferenceBackend.INSTANCE.attention(in.q(), in.k(), in.v(), in.mask(), c.scale());
        assertClose("out", expected.toDoubleArray(), f.out().toFloatArray(), FWD_ATOL, FWD_RTOL);
        assertClose("lse", AttentionReference.lse(in.q(), in.k(), in.mask(), c.scale()), f.lse().toFloatArray(), FWD_ATOL, FWD_RTOL);
        assertClose("attention()", expected.toDoubleArray(), CPU.attention(in.q(), in.k(), in.v(), in.mask(), c.scale()).toFloatArray(),
                FWD_ATOL, FWD_RTOL);
        if (c.padding()) {                                              // the batch row without a valid key
            for (float x : f.out().select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x, "out of a row that sees no key");
            for (float x : f.lse().select(0, c.b() - 1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, x);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesAutogradInDouble(Case c) {
        Inputs in = inputs(c);
        Tensor dout = gaussian(new Random(c.name().hashCode() + 1L), c.b(), c.h(), c.t(), c.hd());
        FusedAttention.Forward f = CPU.attentionForward(in.q(), in.k(), in.v(), in.mask(), c.scale());
        FusedAttention.Gradients g = CPU.attentionBackward(in.q(), in.k(), in.v(), in.mask(), c.scale(), f, dout);

        Tape tape = new Tape();
        GradBackend gb = new GradBackend(ReferenceBackend.DOUBLE, tape);
        Tensor q = tape.watch(in.q().to(DType.F64)), k = tape.watch(in.k().to(DType.F64)), v = tape.watch(in.v().to(DType.F64));
        Tensor out = gb.attention(q, k, v, in.mask(), c.scale());
        int n = (int) out.numel();
        Gradients expected = tape.backward(gb.sum(gb.contiguous(gb.mul(out, dout.to(DType.F64))).reshape(n), 0, false));

        assertClose("dq", expected.of(q).toDoubleArray(), g.dq().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dk", expected.of(k).toDoubleArray(), g.dk().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dv", expected.of(v).toDoubleArray(), g.dv().toFloatArray(), BWD_ATOL, BWD_RTOL);
        if (c.padding()) {                                              // nothing flows through the empty batch row
            for (Tensor t : List.of(g.dq(), g.dk(), g.dv())) {
                for (float x : t.select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aNaNScoreGivesANaNRowAsTheCompositionDoes() {
        Case c = cases().get(2);
        Inputs in = inputs(c);
        in.q().storage().setFloat(5 * c.hd(), Float.NaN);             // head 0, query 5
        Tensor out = CPU.attention(in.q(), in.k(), in.v(), in.mask(), c.scale());
        Tensor expected = ReferenceBackend.INSTANCE.attention(in.q(), in.k(), in.v(), in.mask(), c.scale());
        for (int d = 0; d < c.hd(); d++) {
            assertTrue(Float.isNaN(expected.getFloat(0, 0, 5, d)), "the definition");
            assertTrue(Float.isNaN(out.getFloat(0, 0, 5, d)), "fused: element " + d);
        }
        assertTrue(Float.isFinite(out.getFloat(0, 0, 4, 0)) && Float.isFinite(out.getFloat(0, 1, 5, 0)), "other rows are not touched");
    }
}
