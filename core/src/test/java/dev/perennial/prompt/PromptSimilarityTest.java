/*
 * PromptSimilarity: the vectorised CPU path against the double-accumulation reference on random shapes with exact
 * ties (duplicated keys), zero vectors, masks that remove some, all or all-but-one candidates, k > nk, negative
 * weights, and F16/BF16 inputs (§12.8: within 1e-3 of the fp64 reference); plus the contract's edge cases and input
 * errors. The same cases run on the CUDA backend (emulated device) in the native module, through select().
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

public class PromptSimilarityTest {
    /** A generated case: inputs and the reference's scores. */
    public record Case(String name, Tensor queries, Tensor keys, float[] weights, Tensor mask, int k) {
        @Override public String toString() { return name; }
    }

    /** weights, nq, nk, d, k, mask kind (0 none, 1 random, 2 row 0 allows nothing, 3 row 0 allows one), dtype, duplicated keys. */
    public static Stream<Arguments> cases() {
        Object[][] c = {
                {new float[]{1f}, 1, 1, 1, 1, 0, DType.F32, false},
                {new float[]{0.5f, 0.5f}, 3, 10, 5, 3, 0, DType.F32, false},
                {new float[]{0.5f, 0.5f}, 7, 12, 16, 3, 0, DType.F32, true},        // exact ties
                {new float[]{0.5f, 0.5f}, 4, 37, 33, 40, 1, DType.F32, false},      // k > nk: -1 / -inf padding
                {new float[]{0.7f, 0.3f}, 2, 64, 96, 5, 2, DType.F32, false},       // a query with no candidate
                {new float[]{1f, -0.5f, 0.25f}, 5, 130, 8, 4, 3, DType.F32, false}, // fewer allowed than k
                {new float[]{0.5f, 0.5f}, 64, 1024, 768, 3, 0, DType.F32, false},   // the benchmark's largest pool
                {new float[]{0.5f, 0.5f}, 9, 40, 64, 3, 1, DType.F16, true},
                {new float[]{0.25f, 0.75f}, 9, 40, 64, 5, 0, DType.BF16, false},
        };
        return Arrays.stream(c).map(s -> Arguments.of(make((float[]) s[0], (int) s[1], (int) s[2], (int) s[3], (int) s[4], (int) s[5],
                (DType) s[6], (boolean) s[7])));
    }

    static Case make(float[] weights, int nq, int nk, int d, int k, int maskKind, DType dtype, boolean duplicates) {
        SplittableRandom r = new SplittableRandom(nq * 1_000_003L + nk * 31L + d);
        int m = weights.length;
        float[] q = new float[m * nq * d], keys = new float[m * nk * d];
        for (int i = 0; i < q.length; i++) q[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < keys.length; i++) keys[i] = (float) (r.nextDouble() * 2 - 1);
        for (int mm = 0; mm < m; mm++) {
            if (nk > 2) Arrays.fill(keys, (mm * nk + 1) * d, (mm * nk + 2) * d, 0f);            // a zero key
            if (nq > 1) Arrays.fill(q, (mm * nq + nq - 1) * d, (mm * nq + nq) * d, 0f);       // a zero query
            if (duplicates) for (int j = 2; j + 1 < nk; j += 3) System.arraycopy(keys, (mm * nk + j) * d, keys, (mm * nk + j + 1) * d, d);
        }
        Tensor mask = null;
        if (maskKind > 0) {
            mask = Tensor.zeros(DType.U8, nq, nk);
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nk; j++) {
                    boolean allow = switch (maskKind) {
                        case 1 -> r.nextInt(3) != 0;
                        case 2 -> i != 0 && r.nextInt(4) != 0;
                        default -> i != 0 || j == nk / 2;
                    };
                    mask.setLong(allow ? 1 : 0, i, j);
                }
            }
        }
        Tensor qt = Tensor.of(q, m, nq, d), kt = Tensor.of(keys, m, nk, d);
        if (dtype != DType.F32) {
            qt = qt.to(dtype);
            kt = kt.to(dtype);
        }
        String name = "M=" + m + " nq=" + nq + " nk=" + nk + " d=" + d + " k=" + k + " mask=" + maskKind + " " + dtype + (duplicates ? " ties" : "");
        return new Case(name, qt, kt, weights, mask, k);
    }

    /**
     * got equals the reference: scores within tol of the double scores; indices identical, except that two entries
     * whose reference scores are within tieTol may come in either order (fp32 rounding can swap near-ties).
     */
    public static void assertMatches(Case c, Backend.TopK got) {
        double tol = c.queries().dtype() == DType.F32 ? 1e-5 : 1e-3, tieTol = c.queries().dtype() == DType.F32 ? 1e-6 : 1e-3;
        Backend.TopK ref = PromptSimilarity.reference(c.queries(), c.keys(), c.weights(), c.mask(), c.k());
        double[][] s = PromptSimilarity.referenceScores(c.queries(), c.keys(), c.weights());
        int nq = c.queries().size(1), k = c.k();
        assertArrayEquals(new int[]{nq, k}, got.values().shape());
        assertArrayEquals(new int[]{nq, k}, got.indices().shape());
        long[] gi = got.indices().to(DType.I64).toLongArray(), ri = ref.indices().toLongArray();
        float[] gv = got.values().to(DType.F32).toFloatArray(), rv = ref.values().toFloatArray();
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < k; j++) {
                int at = i * k + j;
                if (ri[at] < 0) {
                    assertEquals(-1, gi[at], c + " row " + i + " slot " + j + ": empty");
                    assertEquals(Float.NEGATIVE_INFINITY, gv[at]);
                    continue;
                }
                assertTrue(gi[at] >= 0, c + " row " + i + " slot " + j + " is filled");
                assertEquals(rv[at], gv[at], tol, c + " row " + i + " slot " + j + " value");
                if (gi[at] != ri[at]) {
                    assertEquals(s[i][(int) ri[at]], s[i][(int) gi[at]], tieTol, c + " row " + i + " slot " + j + ": only near-ties may swap");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cpuPathMatchesTheReference(Case c) {
        assertMatches(c, PromptSimilarity.cpu(c.queries(), c.keys(), c.weights(), c.mask(), c.k()));
        assertMatches(c, PromptSimilarity.select(new CpuBackend(), c.queries(), c.keys(), c.weights(), c.mask(), c.k()));
    }

    @Test
    void exactTiesGoToTheLowerIndexAndZerosScoreZero() {
        float[] k = {1, 0, 0, 0, 2, 0, 0, 1};                       // keys 0 and 2 point the same way, key 1 is zero
        Tensor keys = Tensor.of(k, 1, 4, 2), q = Tensor.of(new float[]{3, 0, 0, 0}, 1, 2, 2);
        Backend.TopK t = PromptSimilarity.cpu(q, keys, new float[]{1f}, null, 4);
        assertArrayEquals(new long[]{0, 2, 1, 3, 0, 1, 2, 3}, t.indices().toLongArray());
        assertArrayEquals(new float[]{1, 1, 0, 0, 0, 0, 0, 0}, t.values().toFloatArray(), 1e-7f);
        for (float v : t.values().toFloatArray()) assertFalse(Float.isNaN(v));
    }

    @Test
    void scaleInvarianceWeightsAndBatchIndependence() {                                    // §12.6, §12.7, §12.9
        Case c = make(new float[]{0.5f, 0.5f}, 6, 20, 12, 3, 0, DType.F32, false);
        Backend.TopK base = PromptSimilarity.cpu(c.queries(), c.keys(), c.weights(), null, 3);
        float[] q = c.queries().toFloatArray();
        for (int i = 0; i < q.length; i++) q[i] *= 40f;
        assertArrayEquals(base.indices().toLongArray(), PromptSimilarity.cpu(Tensor.of(q, 2, 6, 12), c.keys(), c.weights(), null, 3).indices().toLongArray());
        // weight 0 on modality 1: its queries do not matter
        float[] noisy = c.queries().toFloatArray();
        for (int i = 6 * 12; i < noisy.length; i++) noisy[i] = 7f * (i % 5) - 3f;
        assertArrayEquals(PromptSimilarity.cpu(c.queries(), c.keys(), new float[]{1f, 0f}, null, 3).indices().toLongArray(),
                PromptSimilarity.cpu(Tensor.of(noisy, 2, 6, 12), c.keys(), new float[]{1f, 0f}, null, 3).indices().toLongArray());
        // each row alone selects what it selects in the batch
        long[] all = base.indices().toLongArray();
        for (int b = 0; b < 6; b++) {
            Tensor one = c.queries().narrow(1, b, 1).contiguous();
            assertArrayEquals(Arrays.copyOfRange(all, b * 3, b * 3 + 3), PromptSimilarity.cpu(one, c.keys(), c.weights(), null, 3).indices().toLongArray());
        }
        for (float v : base.values().toFloatArray()) assertTrue(Math.abs(v) <= 1 + 1e-6);
    }

    @Test
    void badInputIsRefused() {
        Tensor q = Tensor.zeros(2, 3, 4), keys = Tensor.zeros(2, 5, 4);
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, Tensor.zeros(2, 5, 3), new float[]{1, 1}, null, 1));
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, keys, new float[]{1}, null, 1));
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, keys, new float[]{1, Float.NaN}, null, 1));
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, keys, new float[]{1, 1}, null, 0));
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, keys, new float[]{1, 1}, Tensor.zeros(3, 5), 1));
        assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.cpu(q, keys, new float[]{1, 1}, Tensor.zeros(DType.U8, 3, 4), 1));
        var e = assertThrows(IllegalArgumentException.class, () -> PromptSimilarity.select(new CpuBackend(), Tensor.zeros(3, 4), keys, new float[]{1}, null, 1));
        assertTrue(e.getMessage().contains("queries [M, nq, d]"), e.getMessage());
        Backend.TopK empty = PromptSimilarity.cpu(Tensor.zeros(2, 0, 4), keys, new float[]{1, 1}, null, 2);
        assertArrayEquals(new int[]{0, 2}, empty.indices().shape());
    }
}
