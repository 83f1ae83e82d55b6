/*
 * ModalPrompt's multi-modal prompt selection kernel (cuda/src/main/cuda/cosine_topk.cu, pn_weighted_cosine_topk)
 * on the emulated device, both fiber orders, against its reference: weighted cosines in double (0 for a zero
 * vector), masked candidates removed, then ReferenceBackend.topk, with empty slots as index -1 / value -inf.
 * Cases: exact ties (duplicated keys, also across the 2048-key tiles), zero keys and queries, negative weights,
 * masks that exclude some, all, or all-but-a-few candidates (k above the number allowed, k > nk), more than 1024
 * candidates with d = 768, and the launcher's limits.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WeightedCosineTopkTest {
    // Scores are sums of M fp32 cosines (dot products of length d <= 768, |weights| <= 1): ~1e-7 relative error
    // per cosine for these d, so 2e-6 absolute covers M = 3 with margin; indices must match exactly.
    private static final Tolerance SCORE = new Tolerance(2e-6, 0);

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** weights (M = length), nq, nk, d, k, mask kind (0 none, 1 random, 2 row 0 excludes all, 3 row 0 allows 2). */
    static Stream<Arguments> cases() {
        Object[][] c = {
                {new float[]{1f}, 1, 1, 1, 1, 0},
                {new float[]{0.5f, 0.5f}, 3, 10, 5, 3, 0},
                {new float[]{0.5f, 0.5f}, 4, 37, 33, 40, 1},          // k > nk: padding with -1 / -inf
                {new float[]{0.7f, 0.3f}, 2, 64, 96, 5, 2},           // a query with no allowed candidate
                {new float[]{1f, -0.5f, 0.25f}, 5, 130, 8, 4, 3},     // k above the number allowed
                {new float[]{0.5f, 0.5f}, 2, 129, 31, 129, 1},        // k = nk with a mask
        };
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(c)
                .map(s -> Arguments.of(o, s[0], s[1], s[2], s[3], s[4], s[5])));
    }

    @ParameterizedTest(name = "{0} M={1} nq={2} nk={3} d={4} k={5} mask={6}")
    @MethodSource("cases")
    void matchesReferenceIncludingTiesZerosAndMasks(FiberOrder order, float[] weights, int nq, int nk, int d, int k,
                                                    int maskKind) {
        EmulatedDevice.setFiberOrder(order);
        int m = weights.length;
        Random rnd = new Random(nq * 1_000_003L + nk * 1009L + d * 31L + m);
        float[] q = gaussian(rnd, m * nq * d), keys = gaussian(rnd, m * nk * d);
        for (int mm = 0; mm < m; mm++) {
            if (nk > 3) {
                System.arraycopy(keys, (mm * nk) * d, keys, (mm * nk + 2) * d, d);   // key 2 = key 0: exact tie
                Arrays.fill(keys, (mm * nk + 1) * d, (mm * nk + 2) * d, 0f);         // key 1 zero: cosine 0
            }
            if (nk > 4 && mm == 0) Arrays.fill(keys, 4 * d, 5 * d, 0f);             // key 4 zero in modality 0 only
            if (nq > 1) Arrays.fill(q, (mm * nq + 1) * d, (mm * nq + 2) * d, 0f);    // query 1 zero: scores 0, ties
        }
        byte[] mask = mask(rnd, nq, nk, maskKind);
        check(weights, q, keys, nq, nk, d, k, mask);
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void tiesAcrossKeyTilesGoToTheLowerIndex(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int nq = 3, nk = 2100, d = 3, k = 5;                                // two tiles: [0, 2048) and [2048, 2100)
        Random rnd = new Random(17);
        float[] keys = gaussian(rnd, nk * d), q = gaussian(rnd, nq * d);
        System.arraycopy(keys, 5 * d, keys, 2090 * d, d);                    // key 2090 = key 5 (second tile)
        System.arraycopy(keys, 5 * d, keys, 2050 * d, d);                    // key 2050 = key 5
        System.arraycopy(keys, 5 * d, q, 0, d);                              // query 0 = key 5: three top scores
        System.arraycopy(keys, 2070 * d, q, d, d);                           // query 1's best is in the 2nd tile
        byte[] mask = new byte[nq * nk];
        Arrays.fill(mask, 0, 2 * nk, (byte) 1);
        mask[2 * nk + 7] = mask[2 * nk + 2060] = 1;                          // query 2: one allowed key per tile
        Backend.TopK r = check(new float[]{1f}, q, keys, nq, nk, d, k, mask);
        assertArrayEquals(new long[]{5, 2050, 2090}, Arrays.copyOf(r.indices().toLongArray(), 3));
        assertEquals(2070, r.indices().getLong(1, 0));
        assertArrayEquals(new long[]{-1, -1, -1}, Arrays.copyOfRange(r.indices().toLongArray(), 2 * k + 2, 3 * k));
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void moreThan1024CandidatesOfDimension768(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int nq = 1, nk = 1100, d = 768, k = 4;                               // (d + nk) floats > 48 KiB before
        Random rnd = new Random(23);
        float[] q = gaussian(rnd, 2 * nq * d), keys = gaussian(rnd, 2 * nk * d);
        System.arraycopy(q, 0, keys, 1050 * d, d);                           // candidate 1050 matches modality 0
        check(new float[]{0.5f, 0.5f}, q, keys, nq, nk, d, k, mask(rnd, nq, nk, 1));
    }

    @Test
    void singleModalityLauncherIsTheSpecialCase() {
        Random rnd = new Random(31);
        float[] q = gaussian(rnd, 3 * 6), keys = gaussian(rnd, 9 * 6);
        Backend.TopK single = EmulatedDevice.kernels().cosineTopk(Tensor.of(q, 3, 6), Tensor.of(keys, 9, 6), 4);
        Backend.TopK weighted = EmulatedDevice.kernels().weightedCosineTopk(Tensor.of(q, 1, 3, 6),
                Tensor.of(keys, 1, 9, 6), new float[]{1f}, null, 4);
        assertArrayEquals(single.indices().toLongArray(), weighted.indices().toLongArray());
        assertArrayEquals(single.values().toFloatArray(), weighted.values().toFloatArray());
    }

    @Test
    void limitsAndShapes() {
        try (FloatPointer x = new FloatPointer(64); FloatPointer w = new FloatPointer(1f, 1f);
             IntPointer idx = new IntPointer(64); FloatPointer val = new FloatPointer(64)) {
            assertEquals(1, EmuKernels.pn_weighted_cosine_topk(x, x, w, 0, 1, 4, 4, null, 1, idx, val, null), "M = 0");
            assertEquals(1, EmuKernels.pn_weighted_cosine_topk(x, x, w, 2, 1, 4, 0, null, 1, idx, val, null), "d = 0");
            assertEquals(1, EmuKernels.pn_weighted_cosine_topk(x, x, w, 2, 1, 4, 4, null, 0, idx, val, null), "k = 0");
            assertEquals(1, EmuKernels.pn_weighted_cosine_topk(x, x, w, 2, -1, 4, 4, null, 1, idx, val, null),
                    "nq < 0");
            assertEquals(1, EmuKernels.pn_weighted_cosine_topk(x, x, w, 2, 1, 4, 4, null, 6200, idx, val, null),
                    "k beyond the shared memory");
            assertEquals(0, EmuKernels.pn_weighted_cosine_topk(x, x, w, 2, 0, 4, 4, null, 1, idx, val, null), "nq = 0");
            assertEquals(0, EmuKernels.pn_weighted_cosine_topk(x, null, w, 2, 1, 0, 4, null, 2, idx, val, null),
                    "nk = 0");
            assertArrayEquals(new int[]{-1, -1}, new int[]{idx.get(0), idx.get(1)}, "no candidates at all");
            assertEquals(Float.NEGATIVE_INFINITY, val.get(1));
        }
        DeviceKernels k = EmulatedDevice.kernels();
        Tensor q = Tensor.zeros(2, 3, 4), keys = Tensor.zeros(2, 5, 4);
        assertThrows(IllegalArgumentException.class, () -> k.weightedCosineTopk(q, keys, new float[]{1f}, null, 2));
        Tensor otherDim = Tensor.zeros(2, 5, 3);
        assertThrows(IllegalArgumentException.class, () -> k.weightedCosineTopk(q, otherDim, new float[2], null, 2));
        assertThrows(IllegalArgumentException.class,
                () -> k.weightedCosineTopk(q, keys, new float[2], Tensor.zeros(DType.U8, 3, 4), 2));
        assertThrows(IllegalArgumentException.class,
                () -> k.weightedCosineTopk(q, keys, new float[2], Tensor.zeros(3, 5), 2));
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> k.weightedCosineTopk(q, keys, new float[2], null, 0));
        assertEquals(1, e.code());
    }

    // Runs the kernel through DeviceKernels and compares with the reference; returns the kernel's result.
    private static Backend.TopK check(float[] weights, float[] q, float[] keys, int nq, int nk, int d, int k,
                                      byte[] mask) {
        int m = weights.length;
        Tensor maskT = null;
        if (mask != null) {
            maskT = Tensor.zeros(DType.U8, nq, nk);
            for (int i = 0; i < mask.length; i++) maskT.storage().setLong(i, mask[i]);
        }
        Backend.TopK actual = EmulatedDevice.kernels().weightedCosineTopk(Tensor.of(q, m, nq, d),
                Tensor.of(keys, m, nk, d), weights, maskT, k);
        Backend.TopK expected = reference(weights, q, keys, nq, nk, d, k, mask);
        assertArrayEquals(expected.indices().toLongArray(), actual.indices().toLongArray(), "indices");
        SCORE.assertClose(expected.values(), actual.values(), "values");
        return actual;
    }

    // Weighted cosines in double, rounded to float once; masked-out candidates -inf; ReferenceBackend.topk over
    // them; -inf winners (no allowed candidate left) become index -1, and k > nk is padded the same way.
    static Backend.TopK reference(float[] w, float[] q, float[] keys, int nq, int nk, int d, int k, byte[] mask) {
        float[] s = new float[nq * nk];
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                if (mask != null && mask[i * nk + j] == 0) {
                    s[i * nk + j] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                double score = 0;
                for (int mm = 0; mm < w.length; mm++) {
                    int qo = (mm * nq + i) * d, ko = (mm * nk + j) * d;
                    double dot = 0, qq = 0, kk = 0;
                    for (int t = 0; t < d; t++) {
                        dot += (double) q[qo + t] * keys[ko + t];
                        qq += (double) q[qo + t] * q[qo + t];
                        kk += (double) keys[ko + t] * keys[ko + t];
                    }
                    score += w[mm] * (qq > 0 && kk > 0 ? dot / Math.sqrt(qq * kk) : 0);
                }
                s[i * nk + j] = (float) score;
            }
        }
        Backend.TopK top = ReferenceBackend.INSTANCE.topk(Tensor.of(s, nq, nk), Math.min(k, nk));
        float[] values = new float[nq * k];
        long[] indices = new long[nq * k];
        Arrays.fill(values, Float.NEGATIVE_INFINITY);
        Arrays.fill(indices, -1);
        for (int i = 0; i < nq; i++) {
            for (int r = 0; r < Math.min(k, nk); r++) {
                float v = top.values().getFloat(i, r);
                if (v == Float.NEGATIVE_INFINITY) break;
                values[i * k + r] = v;
                indices[i * k + r] = top.indices().getLong(i, r);
            }
        }
        return new Backend.TopK(Tensor.of(values, nq, k), Tensor.ofLongs(indices, nq, k));
    }

    // kind 0: none; 1: random (3 of 4 allowed); 2: random, query 0 allows nothing; 3: random, query 0 allows two.
    private static byte[] mask(Random rnd, int nq, int nk, int kind) {
        if (kind == 0) return null;
        byte[] m = new byte[nq * nk];
        for (int i = 0; i < m.length; i++) m[i] = (byte) (rnd.nextInt(4) == 0 ? 0 : 1);
        if (kind == 2) Arrays.fill(m, 0, nk, (byte) 0);
        if (kind == 3) {
            Arrays.fill(m, 0, nk, (byte) 0);
            m[nk - 1] = 1;
            m[1] = (byte) 7;                                                 // any nonzero value allows
        }
        return m;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
