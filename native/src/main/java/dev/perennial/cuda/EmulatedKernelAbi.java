/*
 * KernelAbi over the emulated build (EmuKernels: the cuda/ sources compiled by g++ against simt_emu.h).
 * Pure delegation; the emulator adds lastMessage(), the reason of the last failed launch.
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
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
    public String lastMessage() { return EmuKernels.pn_emu_last_message(); }

    @Override
    public int tokenScores(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex, FloatPointer nll,
                           FloatPointer entropy, FloatPointer el2n, Pointer stream) {
        return EmuKernels.pn_token_scores(logits, targets, n, v, ignoreIndex, nll, entropy, el2n, stream);
    }

    @Override
    public int sampleScores(FloatPointer nll, FloatPointer entropy, FloatPointer el2n, IntPointer targets,
                            IntPointer offsets, int s, int ignoreIndex, FloatPointer meanNll, FloatPointer meanExpNll,
                            FloatPointer meanEl2n, FloatPointer entropyAll, FloatPointer entropyResp, IntPointer count,
                            Pointer stream) {
        return EmuKernels.pn_sample_scores(nll, entropy, el2n, targets, offsets, s, ignoreIndex, meanNll, meanExpNll,
                                           meanEl2n, entropyAll, entropyResp, count, stream);
    }

    @Override
    public int crossEntropyForward(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex,
                                   FloatPointer loss, FloatPointer lse, Pointer stream) {
        return EmuKernels.pn_cross_entropy_forward(logits, targets, n, v, ignoreIndex, loss, lse, stream);
    }

    @Override
    public int crossEntropyBackward(FloatPointer logits, IntPointer targets, FloatPointer lse, FloatPointer dloss,
                                    int n, int v, int ignoreIndex, FloatPointer dlogits, Pointer stream) {
        return EmuKernels.pn_cross_entropy_backward(logits, targets, lse, dloss, n, v, ignoreIndex, dlogits, stream);
    }

    @Override
    public int rowReduce(FloatPointer in, FloatPointer out, int rows, int cols, int op, Pointer stream) {
        return EmuKernels.pn_row_reduce(in, out, rows, cols, op, stream);
    }

    @Override
    public int rowArgmax(FloatPointer in, IntPointer out, int rows, int cols, Pointer stream) {
        return EmuKernels.pn_row_argmax(in, out, rows, cols, stream);
    }

    @Override
    public int logSoftmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                              Pointer stream) {
        return EmuKernels.pn_log_softmax_rows(in, mask, out, rows, cols, maskRows, stream);
    }

    @Override
    public int weightedCosineTopk(FloatPointer queries, FloatPointer keys, FloatPointer weights, int m, int nq, int nk,
                                  int d, BytePointer candidateMask, int k, IntPointer outIndex, FloatPointer outValue,
                                  Pointer stream) {
        return EmuKernels.pn_weighted_cosine_topk(queries, keys, weights, m, nq, nk, d, candidateMask, k, outIndex,
                                                  outValue, stream);
    }
}
