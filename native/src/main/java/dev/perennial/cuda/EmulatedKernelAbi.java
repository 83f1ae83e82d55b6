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
    public int attentionForward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid, int b, int h,
                                int kv, int t, int tk, int hd, long qBatchStride, long qHeadStride,
                                long kvBatchStride, long kvHeadStride, int causal, int start, float scale,
                                FloatPointer out, FloatPointer lse, Pointer stream) {
        return EmuKernels.pn_attention_forward(q, k, v, keyValid, b, h, kv, t, tk, hd, qBatchStride, qHeadStride,
                kvBatchStride, kvHeadStride, causal, start, scale, out, lse, stream);
    }

    @Override
    public int attentionBackward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid,
                                 FloatPointer out, FloatPointer lse, FloatPointer dout, int b, int h, int kv, int t,
                                 int tk, int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                                 long kvHeadStride, int causal, int start, float scale, FloatPointer dq,
                                 FloatPointer dk, FloatPointer dv, Pointer stream) {
        return EmuKernels.pn_attention_backward(q, k, v, keyValid, out, lse, dout, b, h, kv, t, tk, hd, qBatchStride,
                qHeadStride, kvBatchStride, kvHeadStride, causal, start, scale, dq, dk, dv, stream);
    }

    @Override
    public String lastMessage() { return EmuKernels.pn_emu_last_message(); }
}
