/*
 * KernelAbi over the nvcc build (CudaKernels). Pure delegation; a GPU has no emulator message, so a failed launch
 * is described by its cudaError_t code alone.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.KernelAbi;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

final class GpuKernelAbi implements KernelAbi {
    @Override
    public int softmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                           float scale, Pointer stream) {
        return CudaKernels.pn_softmax_rows(in, mask, out, rows, cols, maskRows, scale, stream);
    }

    @Override
    public int cosineTopk(FloatPointer queries, FloatPointer keys, int nq, int nk, int d, int k, IntPointer outIndex,
                          FloatPointer outValue, Pointer stream) {
        return CudaKernels.pn_cosine_topk(queries, keys, nq, nk, d, k, outIndex, outValue, stream);
    }

    @Override
    public int rademacherProject(FloatPointer x, int n, long d, int k, long seed, long rowOffset, int accumulate,
                                 FloatPointer out, Pointer stream) {
        return CudaKernels.pn_rademacher_project(x, n, d, k, seed, rowOffset, accumulate, out, stream);
    }

    @Override
    public int l2NormalizeRows(FloatPointer x, int n, int k, Pointer stream) {
        return CudaKernels.pn_l2_normalize_rows(x, n, k, stream);
    }

    @Override
    public int kmeansAssign(FloatPointer x, FloatPointer centroids, int n, int d, int centroidCount, IntPointer labels,
                            FloatPointer dist, Pointer stream) {
        return CudaKernels.pn_kmeans_assign(x, centroids, n, d, centroidCount, labels, dist, stream);
    }

    @Override
    public String lastMessage() { return ""; }
}
