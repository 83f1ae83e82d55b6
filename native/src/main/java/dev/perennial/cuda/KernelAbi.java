/*
 * The C ABI launchers of cuda/src/main/cuda/*.h as Java methods, one per launcher, with the C names'
 * arguments in the same order. Two implementations bind the same sources: EmulatedKernelAbi (the g++ build run
 * by the emulated device, JavaCPP class EmuKernels) and, in the perennial-cuda module, the binding of the nvcc
 * build (libperennialcuda.so). DeviceKernels is written once against this interface, so the code that tests
 * pass on the emulated device is the code that runs on a GPU.
 *
 * Pointers are device pointers (host pointers on the emulated device); every method returns the launcher's
 * cudaError_t as int (0 = success, 1 = cudaErrorInvalidValue for bad sizes, 719 = launch failure).
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

public interface KernelAbi {

    /** softmax_rows.h: in, out [rows, cols]; mask [maskRows, cols] or null. */
    int softmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                    float scale, Pointer stream);

    /** cosine_topk.h: queries [nq, d], keys [nk, d] -> outIndex (int32), outValue [nq, k]. */
    int cosineTopk(FloatPointer queries, FloatPointer keys, int nq, int nk, int d, int k, IntPointer outIndex,
                   FloatPointer outValue, Pointer stream);

    /** Why the last failed launch on this thread failed, if the implementation knows ("" otherwise). */
    String lastMessage();

    /** token_scores.h: logits [n, v], targets [n] -> nll, entropy, el2n [n] (each may be null). */
    int tokenScores(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex, FloatPointer nll,
                    FloatPointer entropy, FloatPointer el2n, Pointer stream);

    /**
     * token_scores.h: means over the rows [offsets[i], offsets[i + 1]) of each of the s samples;
     * outputs [s], each may be null.
     */
    int sampleScores(FloatPointer nll, FloatPointer entropy, FloatPointer el2n, IntPointer targets,
                     IntPointer offsets, int s, int ignoreIndex, FloatPointer meanNll, FloatPointer meanExpNll,
                     FloatPointer meanEl2n, FloatPointer entropyAll, FloatPointer entropyResp, IntPointer count,
                     Pointer stream);

    /** cross_entropy.h: logits [n, v], targets [n] -> loss, lse [n]. */
    int crossEntropyForward(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex,
                            FloatPointer loss, FloatPointer lse, Pointer stream);

    /** cross_entropy.h: dlogits [n, v] from logits [n, v], targets, lse and dloss [n]. */
    int crossEntropyBackward(FloatPointer logits, IntPointer targets, FloatPointer lse, FloatPointer dloss,
                             int n, int v, int ignoreIndex, FloatPointer dlogits, Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows]; op 0 sum, 1 mean, 2 max (PN_ROW_*). */
    int rowReduce(FloatPointer in, FloatPointer out, int rows, int cols, int op, Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows] int32 argmax. */
    int rowArgmax(FloatPointer in, IntPointer out, int rows, int cols, Pointer stream);

    /**
     * row_reduce.h: log-softmax of in + mask[r % maskRows]; in, out [rows, cols]; mask [maskRows, cols]
     * or null.
     */
    int logSoftmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                       Pointer stream);

    /**
     * cosine_topk.h: queries [m, nq, d], keys [m, nk, d], weights [m], candidateMask [nq, nk] or null
     * -> outIndex (int32, -1 = empty slot), outValue [nq, k].
     */
    int weightedCosineTopk(FloatPointer queries, FloatPointer keys, FloatPointer weights, int m, int nq, int nk,
                           int d, BytePointer candidateMask, int k, IntPointer outIndex, FloatPointer outValue,
                           Pointer stream);
}
