/*
 * KernelAbi over the emulated build (EmuKernels: the cuda/ sources compiled by g++ against simt_emu.h).
 * Pure delegation; the emulator adds lastMessage(), the reason of the last failed launch.
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

final class EmulatedKernelAbi implements KernelAbi {
    static final EmulatedKernelAbi INSTANCE = new EmulatedKernelAbi();

    private EmulatedKernelAbi() {}

    @Override
    public int softmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                           float scale, Pointer stream) {
        return EmuKernels.pn_softmax_rows(in, mask, out, rows, cols, maskRows, scale, stream);
    }

    @Override
    public int cosineTopk(FloatPointer queries, FloatPointer keys, int nq, int nk, int d, int k, IntPointer outIndex,
                          FloatPointer outValue, Pointer stream) {
        return EmuKernels.pn_cosine_topk(queries, keys, nq, nk, d, k, outIndex, outValue, stream);
    }

    @Override
    public int stridedUnary(int op, Pointer x, int xDtype, long xOffset, LongPointer xStrides, LongPointer shape, int rank,
                            float s, FloatPointer out, Pointer stream) {
        return EmuKernels.pn_strided_unary(op, x, xDtype, xOffset, xStrides, shape, rank, s, out, stream);
    }

    @Override
    public int stridedBinary(int op, Pointer a, int aDtype, long aOffset, LongPointer aStrides, Pointer b, int bDtype,
                             long bOffset, LongPointer bStrides, LongPointer shape, int rank, FloatPointer out,
                             Pointer stream) {
        return EmuKernels.pn_strided_binary(op, a, aDtype, aOffset, aStrides, b, bDtype, bOffset, bStrides, shape, rank,
                out, stream);
    }

    @Override
    public int stridedCopy(Pointer x, int elemBytes, long xOffset, LongPointer xStrides, LongPointer shape, int rank,
                           Pointer out, Pointer stream) {
        return EmuKernels.pn_strided_copy(x, elemBytes, xOffset, xStrides, shape, rank, out, stream);
    }

    @Override
    public int rmsNorm(FloatPointer x, Pointer weight, int weightDtype, long weightOffset, FloatPointer out, int rows,
                       int d, float eps, Pointer stream) {
        return EmuKernels.pn_rms_norm(x, weight, weightDtype, weightOffset, out, rows, d, eps, stream);
    }

    @Override
    public int layerNorm(FloatPointer x, Pointer weight, int weightDtype, long weightOffset, Pointer bias, int biasDtype,
                         long biasOffset, FloatPointer out, int rows, int d, float eps, Pointer stream) {
        return EmuKernels.pn_layer_norm(x, weight, weightDtype, weightOffset, bias, biasDtype, biasOffset, out, rows, d,
                eps, stream);
    }

    @Override
    public int rmsNormBackward(FloatPointer dy, FloatPointer x, Pointer weight, int weightDtype, long weightOffset,
                               FloatPointer dx, FloatPointer dweight, FloatPointer rowStats, int rows, int d, float eps,
                               Pointer stream) {
        return EmuKernels.pn_rms_norm_backward(dy, x, weight, weightDtype, weightOffset, dx, dweight, rowStats, rows, d,
                eps, stream);
    }

    @Override
    public int layerNormBackward(FloatPointer dy, FloatPointer x, Pointer weight, int weightDtype, long weightOffset,
                                 FloatPointer dx, FloatPointer dweight, FloatPointer dbias, FloatPointer rowStats,
                                 int rows, int d, float eps, Pointer stream) {
        return EmuKernels.pn_layer_norm_backward(dy, x, weight, weightDtype, weightOffset, dx, dweight, dbias, rowStats,
                rows, d, eps, stream);
    }

    @Override
    public int rope(FloatPointer x, long strideB, long strideH, long strideT, long strideD, IntPointer positions,
                    int positionsPerBatch, FloatPointer out, int batch, int heads, int seq, int headDim, float theta,
                    int inverse, Pointer stream) {
        return EmuKernels.pn_rope(x, strideB, strideH, strideT, strideD, positions, positionsPerBatch, out, batch, heads,
                seq, headDim, theta, inverse, stream);
    }

    @Override
    public int embedding(Pointer table, int tableDtype, long tableOffset, int vocab, int dim, Pointer ids, int idsDtype,
                         long idsOffset, int n, FloatPointer out, IntPointer errorFlag, Pointer stream) {
        return EmuKernels.pn_embedding(table, tableDtype, tableOffset, vocab, dim, ids, idsDtype, idsOffset, n, out,
                errorFlag, stream);
    }

    @Override
    public String lastMessage() { return EmuKernels.pn_emu_last_message(); }
}
