/*
 * GEMM through OpenBLAS's cblas_sgemm (org.bytedeco:openblas, the no-LAPACK build), reading the storages'
 * native memory in place. ~190 GFLOP/s on this project's 2-core machines (notes/toolchain.md §3.2).
 */
package dev.perennial.tensor;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

public final class OpenBlasGemm implements Gemm {
    public static final OpenBlasGemm INSTANCE = new OpenBlasGemm();

    private OpenBlasGemm() {}

    @Override
    public String name() { return "openblas"; }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                      float beta, Storage c, int cOffset, int ldc) {
        FloatPointer pa = new FloatPointer(a.pointer()).position(aOffset);
        FloatPointer pb = new FloatPointer(b.pointer()).position(bOffset);
        FloatPointer pc = new FloatPointer(c.pointer()).position(cOffset);
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
