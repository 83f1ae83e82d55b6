/*
 * OpenBlasGemm splits large products across threads itself (by rows of C, or by columns when C has few rows):
 * every transpose combination, with operand offsets and leading dimensions larger than the matrices, agrees with a
 * double-accumulated reference to float32 GEMM accuracy (|a - r| <= 1e-4 + 1e-4·|r| at K <= 1536 with inputs in
 * [-1, 1)), and beta accumulates into C as one call would.
 */
package dev.perennial.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OpenBlasGemmSplitTest {
    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4} beta={5}")
    @CsvSource({
            "200, 300, 96, false, false, 0",      // split by rows (m >= 64), a ragged last block
            "200, 300, 96, true, true, 1",
            "130, 257, 160, false, true, 0.5",
            "130, 257, 160, true, false, 0",
            "3, 3000, 768, false, true, 0",       // decoding-like: few rows, split by columns
            "1, 4100, 512, true, false, 1",       // one row of C: matrix-vector products
            "1, 4100, 512, false, true, 0",
            "1, 300, 96, true, true, 0.5",
            "1, 50, 20, false, false, 0",
            "7, 2049, 1536, false, false, 0",
            "7, 2049, 1536, true, true, 0.25"})
    void splitProductsMatchTheReference(int m, int n, int k, boolean transA, boolean transB, float beta) {
        Random rng = new Random(m * 31L + n * 7L + k);
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2, aOff = 11, bOff = 13, cOff = 17;
        int aRows = transA ? k : m, bRows = transB ? n : k;
        float[] av = random(rng, aOff + aRows * lda), bv = random(rng, bOff + bRows * ldb), cv = random(rng, cOff + m * ldc);
        Storage a = store(av), b = store(bv), c = store(cv);
        OpenBlasGemm.INSTANCE.sgemm(transA, transB, m, n, k, 0.75f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        float[] got = new float[cv.length];
        c.floats().get(0, got);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? av[aOff + p * lda + i] : av[aOff + i * lda + p];
                    double y = transB ? bv[bOff + j * ldb + p] : bv[bOff + p * ldb + j];
                    s += x * y;
                }
                double ref = 0.75 * s + beta * cv[cOff + i * ldc + j];
                float v = got[cOff + i * ldc + j];
                assertEquals(ref, v, 1e-4 + 1e-4 * Math.abs(ref), "C[" + i + ", " + j + "]");
            }
            for (int j = n; j < ldc && cOff + i * ldc + j < cv.length; j++) {
                assertEquals(cv[cOff + i * ldc + j], got[cOff + i * ldc + j], "padding C[" + i + ", " + j + "] is untouched");
            }
        }
        for (int i = 0; i < cOff; i++) assertEquals(cv[i], got[i], "memory before C is untouched");
        a.close();
        b.close();
        c.close();
    }

    /** beta = 0 means C is not read: NaN left in an uninitialised output must not leak into it (GEMM and GEMV). */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 300, 96", "1, 4100, 512", "5, 300, 96", "200, 300, 96"})
    void betaZeroIgnoresWhatCHeld(int m, int n, int k) {
        Random rng = new Random(5);
        Storage a = store(random(rng, m * k)), b = store(random(rng, k * n));
        float[] nan = new float[m * n];
        java.util.Arrays.fill(nan, Float.NaN);
        Storage c = store(nan);
        OpenBlasGemm.INSTANCE.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
        for (int i = 0; i < m * n; i++) assertEquals(false, Float.isNaN(c.getFloat(i)), "C[" + i + "]");
        a.close();
        b.close();
        c.close();
    }

    private static float[] random(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextFloat() * 2 - 1;
        return v;
    }

    private static Storage store(float[] v) {
        Storage s = Storage.allocate(DType.F32, v.length);
        s.floats().put(0, v);
        return s;
    }
}
