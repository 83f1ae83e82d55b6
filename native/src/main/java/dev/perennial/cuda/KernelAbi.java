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

    /**
     * attention.h pn_attention_forward: q [b, h, t, hd], k/v [b, kv, tk, hd] (rows contiguous, batch/head strides
     * in elements), keyValid [b, tk] uint8 or null -> out [b, h, t, hd], lse [b, h, t].
     */
    int attentionForward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid, int b, int h, int kv,
                         int t, int tk, int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                         long kvHeadStride, int causal, int start, float scale, FloatPointer out, FloatPointer lse,
                         Pointer stream);

    /** attention.h pn_attention_backward: out, lse, dout contiguous -> dq [b, h, t, hd], dk/dv [b, kv, tk, hd]. */
    int attentionBackward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid, FloatPointer out,
                          FloatPointer lse, FloatPointer dout, int b, int h, int kv, int t, int tk, int hd,
                          long qBatchStride, long qHeadStride, long kvBatchStride, long kvHeadStride, int causal,
                          int start, float scale, FloatPointer dq, FloatPointer dk, FloatPointer dv, Pointer stream);

    /** Why the last failed launch on this thread failed, if the implementation knows ("" otherwise). */
    String lastMessage();
}
