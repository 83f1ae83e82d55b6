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
    public int rademacherProject(FloatPointer x, int n, long d, int k, long seed, long rowOffset, int accumulate,
                                 FloatPointer out, Pointer stream) {
        return EmuKernels.pn_rademacher_project(x, n, d, k, seed, rowOffset, accumulate, out, stream);
    }

    @Override
    public int l2NormalizeRows(FloatPointer x, int n, int k, Pointer stream) {
        return EmuKernels.pn_l2_normalize_rows(x, n, k, stream);
    }

    @Override
    public int kmeansAssign(FloatPointer x, FloatPointer centroids, int n, int d, int centroidCount, IntPointer labels,
                            FloatPointer dist, Pointer stream) {
        return EmuKernels.pn_kmeans_assign(x, centroids, n, d, centroidCount, labels, dist, stream);
    }

    @Override
    public String lastMessage() { return EmuKernels.pn_emu_last_message(); }
}
