/*
 * Plain-Java GEMM: an i-k-j loop (each row of C accumulates scaled rows of B), parallel over rows of C.
 *
 * Not the production path (OpenBLAS is ~15x faster); it exists as the "plain Java loop" of the GEMM benchmark
 * and as a GEMM that needs no native library. Accumulates in float like BLAS does. With Bᵀ (a weight W [n, k]
 * read transposed) each C element is a dot product of two contiguous rows instead.
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;

/**
 * A {@link Gemm} in plain Java (an i-k-j loop over float32, rows of C split across Parallel's threads): the benchmark
 * reference and a GEMM that needs no native library, about 15 times slower than OpenBLAS.
 * <p>Thread-safe: a stateless singleton; concurrent calls are safe when each writes its own part of C.
 */
public final class JavaGemm implements Gemm {
    public static final JavaGemm INSTANCE = new JavaGemm();

    private JavaGemm() {}

    @Override
    public String name() { return "java"; }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                      float beta, Storage c, int cOffset, int ldc) {
        FloatBuffer fa = a.floats(), fb = b.floats(), fc = c.floats();
        Parallel.forRows(m, (long) n * k, (r0, r1) -> {
            float[] row = new float[n];
            float[] bRow = new float[Math.max(n, k)];
            float[] aRow = new float[k];
            for (int i = r0; i < r1; i++) {
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) aRow[p] = transA ? fa.get(aOffset + p * lda + i) : fa.get(aOffset + i * lda + p);
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        fb.get(bOffset + j * ldb, bRow, 0, k);
                        float s = 0f;
                        for (int p = 0; p < k; p++) s += aRow[p] * bRow[p];
                        row[j] = s;
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        float av = aRow[p];
                        fb.get(bOffset + p * ldb, bRow, 0, n);
                        for (int j = 0; j < n; j++) row[j] += av * bRow[j];
                    }
                }
                int base = cOffset + i * ldc;
                for (int j = 0; j < n; j++) {
                    float prev = beta == 0f ? 0f : beta * fc.get(base + j);
                    fc.put(base + j, alpha * row[j] + prev);
                }
            }
        });
    }
}
