/*
 * The cosine_topk kernel (cuda/src/main/cuda/cosine_topk.cu) on the emulated device against its reference:
 * cosine similarities in double (0 for a zero vector) followed by ReferenceBackend.topk. Indices must match
 * exactly, including ties (duplicated and zero keys, a zero query), values within 1e-6; both fiber orders;
 * k > nk must come back as error code 1.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CosineTopkTest {
    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** nq, nk, d, k. */
    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1, 1}, {3, 10, 5, 3}, {4, 37, 33, 37}, {2, 64, 96, 5}, {5, 130, 8, 4}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes)
                .map(s -> Arguments.of(o, s[0], s[1], s[2], s[3])));
    }

    @ParameterizedTest(name = "{0} nq={1} nk={2} d={3} k={4}")
    @MethodSource("cases")
    void matchesReferenceIncludingTies(FiberOrder order, int nq, int nk, int d, int k) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(nq * 1_000_003L + nk * 1009L + d);
        float[] q = gaussian(rnd, nq * d), keys = gaussian(rnd, nk * d);
        if (nk > 3) {
            System.arraycopy(keys, 0, keys, 2 * d, d);            // key 2 duplicates key 0: an exact tie
            Arrays.fill(keys, d, 2 * d, 0f);                       // key 1 is zero: similarity 0
            Arrays.fill(keys, 3 * d, 4 * d, 0f);                   // key 3 too: ties with key 1
        }
        if (nq > 1) Arrays.fill(q, d, 2 * d, 0f);                  // query 1 is zero: all similarities 0
        Tensor queries = Tensor.of(q, nq, d), keyT = Tensor.of(keys, nk, d);

        Backend.TopK expected = ReferenceBackend.INSTANCE.topk(Tensor.of(cosine(q, keys, nq, nk, d), nq, nk), k);
        Backend.TopK actual = EmulatedDevice.kernels().cosineTopk(queries, keyT, k);

        assertArrayEquals(expected.indices().toLongArray(), actual.indices().toLongArray(), "indices");
        float[] e = expected.values().toFloatArray(), a = actual.values().toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Float.isFinite(a[i]), "value " + i + " is " + a[i]);
            assertEquals(e[i], a[i], 1e-6, "value " + i);
        }
    }

    @Test
    void zeroVectorsGiveZeroNotNaN() {
        Backend.TopK r = EmulatedDevice.kernels().cosineTopk(Tensor.zeros(2, 4), Tensor.zeros(3, 4), 3);
        assertArrayEquals(new float[]{0, 0, 0, 0, 0, 0}, r.values().toFloatArray());
        assertArrayEquals(new long[]{0, 1, 2, 0, 1, 2}, r.indices().toLongArray());
    }

    @Test
    void kAboveKeyCountIsErrorCode() {
        Tensor q = Tensor.of(gaussian(new Random(1), 8), 2, 4), keys = Tensor.of(gaussian(new Random(2), 12), 3, 4);
        try (IntPointer idx = new IntPointer(8); FloatPointer val = new FloatPointer(8)) {
            int code = EmuKernels.pn_cosine_topk(new FloatPointer(q.storage().pointer()),
                    new FloatPointer(keys.storage().pointer()), 2, 3, 4, 4, idx, val, null);
            assertEquals(1, code, "cudaErrorInvalidValue");
        }
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> EmulatedDevice.kernels().cosineTopk(q, keys, 4));
        assertEquals(1, e.code());
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    // Reference similarities [nq, nk] in double, rounded to float once; 0 when either vector is zero.
    private static float[] cosine(float[] q, float[] keys, int nq, int nk, int d) {
        float[] s = new float[nq * nk];
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                double dot = 0, qq = 0, kk = 0;
                for (int t = 0; t < d; t++) {
                    dot += (double) q[i * d + t] * keys[j * d + t];
                    qq += (double) q[i * d + t] * q[i * d + t];
                    kk += (double) keys[j * d + t] * keys[j * d + t];
                }
                s[i * nk + j] = qq > 0 && kk > 0 ? (float) (dot / Math.sqrt(qq * kk)) : 0f;
            }
        }
        return s;
    }
}
