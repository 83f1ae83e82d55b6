/*
 * The ND4J GEMM choice (asked for by the user): Nd4j.gemm on INDArray views of the storages, no copies of
 * the operands. Selected with GemmChoice.byName("nd4j") or -Dperennial.gemm=nd4j; needs nd4j-native.
 */
package dev.perennial.tensor.nd4j;

import dev.perennial.tensor.Gemm;
import dev.perennial.tensor.Storage;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The optional ND4J {@link Gemm}: {@code Nd4j.gemm} on INDArray views of the storages (no operand copies; a dense
 * temporary when C is a view), selected with {@code -Dperennial.gemm=nd4j}; it needs nd4j-native.
 * <p>Thread-safe as far as this class goes: a stateless singleton that builds its own views per call; concurrent calls
 * must write distinct parts of C and rely on ND4J's {@code Nd4j.gemm} being safe to call from several threads.
 */
public final class Nd4jGemm implements Gemm {
    public static final Nd4jGemm INSTANCE = new Nd4jGemm();

    private Nd4jGemm() {}

    @Override
    public String name() { return "nd4j"; }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                      float beta, Storage c, int cOffset, int ldc) {
        INDArray ma = matrix(a, aOffset, transA ? k : m, transA ? m : k, lda);
        INDArray mb = matrix(b, bOffset, transB ? n : k, transB ? k : n, ldb);
        INDArray mc = matrix(c, cOffset, m, n, ldc);
        if (!mc.isView()) {
            Nd4j.gemm(ma, mb, mc, transA, transB, alpha, beta);
            return;
        }
        // Nd4j.gemm rejects a view as C (a block of a larger output, as in tiled F16/BF16 products):
        // compute into a dense temporary and assign it into the view.
        INDArray tmp = beta == 0f ? Nd4j.createUninitialized(mc.dataType(), m, n) : mc.dup('c');
        Nd4j.gemm(ma, mb, tmp, transA, transB, alpha, beta);
        mc.assign(tmp);
    }

    /** A [rows, cols] row-major view with leading dimension ld at element offset off. */
    private static INDArray matrix(Storage s, int off, int rows, int cols, int ld) {
        DataBuffer buf = Nd4jTensors.buffer(s);
        return Nd4j.create(buf, new long[]{rows, cols}, new long[]{ld, 1}, off, 'c');
    }
}
