/*
 * KernelAbi over the emulated build (EmuKernels: the cuda/ sources compiled by g++ against simt_emu.h).
 * Pure delegation; the emulator adds lastMessage(), the reason of the last failed launch.
 */
package dev.perennial.cuda;

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
}
