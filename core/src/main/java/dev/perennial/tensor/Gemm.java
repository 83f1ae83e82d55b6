/*
 * Single-precision GEMM on storages, row-major: C = alpha * op(A) * op(B) + beta * C.
 *
 * The CPU backend runs every matrix product through one of these, chosen at run time (GemmChoice):
 * OpenBLAS through the JavaCPP preset (default), ND4J (optional dependency), or plain Java (a reference for
 * benchmarks and machines without the native library). Offsets and leading dimensions are in elements.
 */
package dev.perennial.tensor;

/**
 * Single-precision row-major GEMM on storages, {@code C = alpha * op(A) * op(B) + beta * C}, with offsets and leading
 * dimensions in elements; the CPU backend runs every matrix product through one, chosen by {@link GemmChoice}.
 * <p>Thread-safety contract: the implementations ({@link OpenBlasGemm}, {@link JavaGemm}, {@code Nd4jGemm}) are
 * stateless singletons, and callers (CpuBackend, KMeansAssignment) invoke one from several threads at once, each call
 * writing its own part of C.
 */
public interface Gemm {
    String name();

    /**
     * @param transA use Aᵀ: A is stored [k, m] with leading dimension lda (else [m, k])
     * @param transB use Bᵀ: B is stored [n, k] with leading dimension ldb (else [k, n])
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
               float beta, Storage c, int cOffset, int ldc);
}
