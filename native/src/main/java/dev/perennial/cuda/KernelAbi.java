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

    /** random_projection.h: out [n, k] (+)= x [n, d] · R[rowOffset .., :] with R the Rademacher signs of seed. */
    int rademacherProject(FloatPointer x, int n, long d, int k, long seed, long rowOffset, int accumulate,
                          FloatPointer out, Pointer stream);

    /** random_projection.h: rows of x [n, k] scaled to unit L2 norm in place; zero rows stay zero. */
    int l2NormalizeRows(FloatPointer x, int n, int k, Pointer stream);

    /** kmeans_assign.h: x [n, d], centroids [centroidCount, d] -> labels [n] (int32), dist [n] (squared distances). */
    int kmeansAssign(FloatPointer x, FloatPointer centroids, int n, int d, int centroidCount, IntPointer labels,
                     FloatPointer dist, Pointer stream);

    /** Why the last failed launch on this thread failed, if the implementation knows ("" otherwise). */
    String lastMessage();
}
