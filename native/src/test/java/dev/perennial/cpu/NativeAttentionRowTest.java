/*
 * The native decode-attention row kernel (pn_cpu_attn.h through NativeCpuKernels.attendRow) against the definition:
 *
 * - through CpuBackend.attentionForward, which hands runs of at most four query rows to it: decode steps over cache
 *   views (narrowed caches whose unused rows are NaN, so a key read past the causal limit shows), GQA, head dims from
 *   1 to 300 (past 256 the kernel takes its plain loops), against ScaledDotProductAttention's composition on
 *   ReferenceBackend and a double log-sum-exp, with CpuAttentionTest's forward bound 1e-5 + 1e-4·|r|
 *   (docs/kernels.md, "Attention on the CPU");
 * - directly, with K and V stored as BF16 and F16 (read in place): against the same sums in double over the stored
 *   values, which are exact in float32, so the bound is float32 accumulation's, the same 1e-5 + 1e-4·|r|;
 * - the edge rows: no key (zero row, lse −∞), every score −∞ (the same), a NaN key (a NaN row);
 * - longer query runs, whose blocks take the native row softmax (pn_cpu_softmax_rows): causal, full, after a cache,
 *   GQA, wide scores, against the composition and the double log-sum-exp with the same bound.
 */
package dev.perennial.cpu;

import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.AttentionReference;
import dev.perennial.tensor.AttentionReference.Layout;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.CpuKernels;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.FusedAttention;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static dev.perennial.tensor.AttentionReference.assertClose;
import static org.junit.jupiter.api.Assertions.*;

class NativeAttentionRowTest {
    private static final double BWD_ATOL = 1e-4, BWD_RTOL = 1e-3;   // CpuAttentionTest's backward bound
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    static List<Arguments> decodeCases() {
        return List.of(                              // b, h, kv, t, tk, hd
                Arguments.of("one query one key, hd 1", 1, 1, 1, 1, 1, 1),
                Arguments.of("decode, MHA, hd 64, 707 cached keys", 1, 12, 12, 1, 708, 64),
                Arguments.of("decode, GQA 4/2, hd 128, batch 2", 2, 4, 2, 1, 67, 128),
                Arguments.of("three queries, hd 33 (partial vectors), 5 keys (partial key steps)", 1, 2, 1, 3, 5, 33),
                Arguments.of("four queries, GQA 8/2, hd 256", 1, 8, 2, 4, 150, 256),
                Arguments.of("decode, hd 300 (the plain loops)", 1, 2, 2, 1, 40, 300));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decodeCases")
    void decodeStepsMatchTheComposition(String name, int b, int h, int kv, int t, int tk, int hd) {
        assertNotNull(CpuKernels.available(), "perennial-native registers its kernels");
        Random rnd = new Random(name.hashCode());
        Tensor[] qkv = AttentionReference.operands(rnd, Layout.CACHE_VIEW, b, h, kv, t, tk, hd);
        AttentionMask mask = AttentionMask.causal(tk - t, null);
        float scale = (float) (1 / Math.sqrt(hd));
        FusedAttention.Forward f = new CpuBackend().attentionForward(qkv[0], qkv[1], qkv[2], mask, scale);
        Tensor expected = ReferenceBackend.INSTANCE.attention(qkv[0], qkv[1], qkv[2], mask, scale);
        assertClose("out", expected.toDoubleArray(), f.out().toFloatArray(), ATOL, RTOL);
        assertClose("lse", AttentionReference.lse(qkv[0], qkv[1], mask, scale), f.lse().toFloatArray(), ATOL, RTOL);
    }

    static List<Arguments> blockCases() {
        return List.of(                              // b, h, kv, t, tk, hd, causal, scale
                Arguments.of("causal, hd 64, T=Tk=67", 1, 2, 2, 67, 67, 64, true, 0.125f),
                Arguments.of("causal, three blocks, T=Tk=130", 1, 3, 3, 130, 130, 64, true, 0.125f),
                Arguments.of("full, GQA 4/1, T 17 over Tk 67, hd 33", 1, 4, 1, 17, 67, 33, false, 0.174f),
                Arguments.of("causal after a cache, T 70 over Tk 100", 1, 2, 1, 70, 100, 32, true, 0.177f),
                Arguments.of("causal T 67 > Tk 5 (rows that see every key)", 1, 2, 1, 67, 5, 65, true, 0.124f),
                Arguments.of("wide scores (scale 1), full, T=Tk=67", 2, 2, 1, 67, 67, 32, false, 1f));
    }

    /**
     * Longer query runs take the blocked path, whose row softmax is the native softmaxRows kernel when present: out
     * and lse against the composition and a double log-sum-exp, the same bound.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("blockCases")
    void blockedRowsMatchTheComposition(String name, int b, int h, int kv, int t, int tk, int hd, boolean causal, float scale) {
        Random rnd = new Random(name.hashCode());
        Tensor[] qkv = AttentionReference.operands(rnd, Layout.CACHE_VIEW, b, h, kv, t, tk, hd);
        AttentionMask mask = causal ? AttentionMask.causal(Math.max(0, tk - t), null) : AttentionMask.none();
        FusedAttention.Forward f = new CpuBackend().attentionForward(qkv[0], qkv[1], qkv[2], mask, scale);
        Tensor expected = ReferenceBackend.INSTANCE.attention(qkv[0], qkv[1], qkv[2], mask, scale);
        assertClose("out", expected.toDoubleArray(), f.out().toFloatArray(), ATOL, RTOL);
        assertClose("lse", AttentionReference.lse(qkv[0], qkv[1], mask, scale), f.lse().toFloatArray(), ATOL, RTOL);
    }

    /**
     * The backward's rows through the native kernel (CpuKernels.attentionBackwardRows, no padding): dq, dk and dv
     * against the autograd of the composition in double (ReferenceBackend.DOUBLE), CpuAttentionTest's backward bound.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("blockCases")
    void blockedBackwardMatchesAutogradInDouble(String name, int b, int h, int kv, int t, int tk, int hd, boolean causal,
                                                float scale) {
        Random rnd = new Random(name.hashCode());
        Tensor[] qkv = AttentionReference.operands(rnd, Layout.CACHE_VIEW, b, h, kv, t, tk, hd);
        AttentionMask mask = causal ? AttentionMask.causal(Math.max(0, tk - t), null) : AttentionMask.none();
        Tensor dout = AttentionReference.gaussian(new Random(name.hashCode() + 1L), b, h, t, hd);
        CpuBackend cpu = new CpuBackend();
        FusedAttention.Forward f = cpu.attentionForward(qkv[0], qkv[1], qkv[2], mask, scale);
        FusedAttention.Gradients g = cpu.attentionBackward(qkv[0], qkv[1], qkv[2], mask, scale, f, dout);
        dev.perennial.autograd.Tape tape = new dev.perennial.autograd.Tape();
        dev.perennial.autograd.GradBackend gb = new dev.perennial.autograd.GradBackend(ReferenceBackend.DOUBLE, tape);
        Tensor q = tape.watch(qkv[0].to(DType.F64)), k = tape.watch(qkv[1].to(DType.F64)), v = tape.watch(qkv[2].to(DType.F64));
        Tensor out = gb.attention(q, k, v, mask, scale);
        int n = (int) out.numel();
        var expected = tape.backward(gb.sum(gb.contiguous(gb.mul(out, dout.to(DType.F64))).reshape(n), 0, false));
        assertClose("dq", expected.of(q).toDoubleArray(), g.dq().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dk", expected.of(k).toDoubleArray(), g.dk().toFloatArray(), BWD_ATOL, BWD_RTOL);
        assertClose("dv", expected.of(v).toDoubleArray(), g.dv().toFloatArray(), BWD_ATOL, BWD_RTOL);
    }

    /** softmax(scale·q·Kᵀ)·V and its lse in double over K and V as stored ([n, ld] rows). */
    private static double[] definition(float[] q, float[] k, float[] v, int n, int hd, int ld, float scale) {
        double[] s = new double[n], out = new double[hd + 1];
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int c = 0; c < hd; c++) acc += (double) q[c] * k[j * ld + c];
            s[j] = (float) (scale * (float) acc);
            m = Math.max(m, s[j]);
        }
        double z = 0;
        for (int j = 0; j < n; j++) z += Math.exp(s[j] - m);
        for (int j = 0; j < n; j++) {
            double p = Math.exp(s[j] - m) / z;
            for (int c = 0; c < hd; c++) out[c] += p * v[j * ld + c];
        }
        out[hd] = m + Math.log(z);
        return out;
    }

    private static float[] attend(DType dt, Tensor q, Tensor k, Tensor v, int n, int hd, int ld, float scale) {
        Tensor scratch = Tensor.zeros(Math.max(1, n)), out = Tensor.zeros(hd + 1);
        assertTrue(CpuKernels.available().attendRow(dt, q.storage().address(), k.storage().address(), ld,
                v.storage().address(), ld, n, hd, scale, scratch.storage().address(), out.storage().address(),
                out.storage().address() + 4L * hd));
        return out.toFloatArray();
    }

    static List<Arguments> storedTypes() {
        return List.of(Arguments.of(DType.F32), Arguments.of(DType.BF16), Arguments.of(DType.F16));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storedTypes")
    void halfCachesAreReadInPlace(DType dt) {
        Random rnd = new Random(7 + dt.ordinal());
        int n = 301, hd = 80, ld = 96;                                     // rows padded to 96 elements
        float[] qv = new float[hd];
        for (int c = 0; c < hd; c++) qv[c] = (float) rnd.nextGaussian();
        Tensor k = AttentionReference.gaussian(rnd, n, ld).to(dt), v = AttentionReference.gaussian(rnd, n, ld).to(dt);
        float scale = 0.2f;
        float[] got = attend(dt, Tensor.of(qv, hd), k, v, n, hd, ld, scale);
        double[] want = definition(qv, k.to(DType.F32).toFloatArray(), v.to(DType.F32).toFloatArray(), n, hd, ld, scale);
        assertClose(dt + " out and lse", want, got, ATOL, RTOL);
    }

    @Test
    void rowsThatSeeNoKeyOrANaN() {
        int hd = 20, n = 9;
        Tensor q = Tensor.of(new float[hd], hd);
        float[] zeroRow = attend(DType.F32, q, Tensor.zeros(1), Tensor.zeros(1), 0, hd, hd, 1f);
        for (int c = 0; c < hd; c++) assertEquals(0f, zeroRow[c], "no key: a zero row");
        assertEquals(Float.NEGATIVE_INFINITY, zeroRow[hd], "no key: lse −∞");

        float[] ones = new float[n * hd];
        java.util.Arrays.fill(ones, 1f);
        float[] qOnes = new float[hd];
        java.util.Arrays.fill(qOnes, 1f);
        float[] allMinusInf = attend(DType.F32, Tensor.of(qOnes, hd), Tensor.of(ones, n, hd), Tensor.of(ones, n, hd), n, hd, hd,
                Float.NEGATIVE_INFINITY);
        for (int c = 0; c < hd; c++) assertEquals(0f, allMinusInf[c], "every score −∞: a zero row");
        assertEquals(Float.NEGATIVE_INFINITY, allMinusInf[hd]);

        float[] k = ones.clone();
        k[5 * hd + 3] = Float.NaN;                                        // one key's element
        float[] nanRow = attend(DType.F32, Tensor.of(qOnes, hd), Tensor.of(k, n, hd), Tensor.of(ones, n, hd), n, hd, hd, 0.1f);
        for (int c = 0; c <= hd; c++) assertTrue(Float.isNaN(nanRow[c]), "a NaN score makes the row NaN, element " + c);
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor q = Tensor.zeros(4), out = Tensor.zeros(5), s = Tensor.zeros(4);
        assertThrows(IllegalArgumentException.class, () -> CpuKernels.available().attendRow(DType.F32, q.storage().address(),
                q.storage().address(), 2, q.storage().address(), 4, 1, 4, 1f, s.storage().address(), out.storage().address(),
                out.storage().address() + 16), "a key stride below the head dim");
        assertFalse(CpuKernels.available().attendRow(DType.I64, 0, 0, 0, 0, 0, 0, 1, 1f, 0, 0, 0), "an unsupported dtype");
    }
}
