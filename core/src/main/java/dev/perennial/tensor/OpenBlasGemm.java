/*
 * GEMM through OpenBLAS's cblas_sgemm (org.bytedeco:openblas, the no-LAPACK build), reading the storages'
 * native memory in place (notes in docs/performance.md, "GEMM").
 *
 * OpenBLAS runs single-threaded here and large products are split across threads by Parallel instead: the rows of C
 * or its columns are cut into blocks that threads claim dynamically, each block one
 * single-threaded sgemm. Two reasons, both measured (docs/performance.md, "Shared machines"): OpenBLAS's own
 * workers split a product statically and busy-wait for work after each call, so (1) on a shared machine every
 * product waits for whichever of its threads the OS did not schedule, and (2) between products the spinning worker
 * takes a core from the element-wise ops that run there. The cut goes along the dimension whose blocks repack the
 * smaller operand (a block of rows needs all of B, a block of columns all of A), two blocks per thread (one
 * below 2^26 multiply-adds).
 */
package dev.perennial.tensor;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The default {@link Gemm}: OpenBLAS's {@code cblas_sgemm} (or {@code cblas_sgemv} for a single row) on the storages'
 * native memory in place, with OpenBLAS itself single-threaded and large products split into blocks across Parallel's
 * threads.
 * <p>Thread-safe: a stateless singleton (OpenBLAS is set to one thread once, in the static initializer); concurrent
 * calls are safe when each writes its own part of C, as Parallel's blocks do.
 */
public final class OpenBlasGemm implements Gemm {
    public static final OpenBlasGemm INSTANCE = new OpenBlasGemm();

    /** Multiply-adds below which a product runs on the calling thread alone (≈ 3 µs of arithmetic on one core). */
    private static final long SPLIT_MNK = 1L << 18;
    private static final long SMALL_MNK = 1L << 26;
    private static final int MIN_ROWS = 32, MIN_COLUMNS = 64;

    static {
        try {
            openblas_nolapack.blas_set_num_threads(1);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw NativeLibraries.missing("openblas", e);
        }
    }

    private OpenBlasGemm() {}

    @Override
    public String name() { return "openblas"; }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                      float beta, Storage c, int cOffset, int ldc) {
        if (Parallel.threads() == 1 || (long) m * n * k < SPLIT_MNK || Parallel.inParallelLoop()) {
            call(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
            return;
        }
        // cut the dimension whose cut repacks the smaller operand: each block repacks the whole of the other one
        // (rows of C need all of B, columns of C all of A); two blocks per thread leave room to take a late one's,
        // except in products too small to pay for the extra call and hand-over
        int blocks = (long) m * n * k < SMALL_MNK ? Parallel.threads() : 2 * Parallel.threads();
        if ((long) n * k <= (long) m * k ? m >= 2 * MIN_ROWS : n < 2 * MIN_COLUMNS) {
            // rows [r0, r1) of C come from rows r0.. of op(A): row r of A at r·lda, or column r of a transposed A at r
            int rows = Math.max(MIN_ROWS, (m + blocks - 1) / blocks);
            Parallel.forRows((m + rows - 1) / rows, (long) rows * n * k, (b0, b1) -> {
                int r0 = b0 * rows, r1 = Math.min(m, b1 * rows);
                call(transA, transB, r1 - r0, n, k, alpha, a, aOffset + (transA ? r0 : r0 * lda), lda, b, bOffset, ldb,
                        beta, c, cOffset + r0 * ldc, ldc);
            });
        } else {
            // columns [c0, c1) of C come from columns c0.. of op(B): column j of B at j, or row j of a transposed B at j·ldb
            int cols = Math.max(MIN_COLUMNS, ((n + blocks - 1) / blocks + 63) / 64 * 64);
            Parallel.forRows((n + cols - 1) / cols, (long) cols * m * k, (b0, b1) -> {
                int c0 = b0 * cols, c1 = Math.min(n, b1 * cols);
                call(transA, transB, m, c1 - c0, k, alpha, a, aOffset, lda, b, bOffset + (transB ? c0 * ldb : c0), ldb,
                        beta, c, cOffset + c0, ldc);
            });
        }
    }

    private static void call(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                             float beta, Storage c, int cOffset, int ldc) {
        FloatPointer pa = new FloatPointer(a.pointer()).position(aOffset);
        FloatPointer pb = new FloatPointer(b.pointer()).position(bOffset);
        FloatPointer pc = new FloatPointer(c.pointer()).position(cOffset);
        if (m == 1) {
            // one row of C (a decode step): c = op(B)ᵀ·a as a matrix-vector product, which streams B once; sgemm
            // would first pack all of B, reading and writing the weight again (docs/performance.md, "Decode")
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor,
                    transB ? openblas_nolapack.CblasNoTrans : openblas_nolapack.CblasTrans,
                    transB ? n : k, transB ? k : n, alpha, pb, ldb, pa, transA ? lda : 1, beta, pc, 1);
            return;
        }
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
