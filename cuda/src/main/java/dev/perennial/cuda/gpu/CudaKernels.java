/*
 * JavaCPP binding of the nvcc build, libperennialcuda.so (cuda/src/main/cuda, built by this module): the same C
 * ABI as the emulated build's EmuKernels, plus the device probe. Its JNI library links only libperennialcuda and,
 * through it, libcudart, which loads the driver lazily, so loading it on a machine without a GPU works and
 * pn_device_count reports the reason (notes/toolchain.md §1.4). KernelAbiParityTest checks that every launcher
 * of EmuKernels is declared here with the same signature.
 */
package dev.perennial.cuda.gpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

@Platform(value = "linux-x86_64", include = {"perennial_runtime.h", "softmax_rows.h", "cosine_topk.h",
                                             "random_projection.h", "kmeans_assign.h"},
          link = "perennialcuda")
public final class CudaKernels {
    static { Loader.load(); }

    private CudaKernels() {}

    /** perennial_runtime.h: number of usable devices; returns the cudaGetDeviceCount error (count 0 on error). */
    public static native int pn_device_count(IntPointer count);

    /** softmax_rows.h */
    public static native int pn_softmax_rows(@Const FloatPointer in, @Const FloatPointer mask, FloatPointer out,
                                             int rows, int cols, int maskRows, float scale, Pointer stream);

    /** cosine_topk.h */
    public static native int pn_cosine_topk(@Const FloatPointer queries, @Const FloatPointer keys, int nq, int nk, int d,
                                            int k, IntPointer outIndex, FloatPointer outValue, Pointer stream);

    /** random_projection.h */
    public static native int pn_rademacher_project(@Const FloatPointer x, int n, long d, int k,
                                                   @Cast("unsigned long long") long seed, long rowOffset,
                                                   int accumulate, FloatPointer out, Pointer stream);

    /** random_projection.h */
    public static native int pn_l2_normalize_rows(FloatPointer x, int n, int k, Pointer stream);

    /** kmeans_assign.h */
    public static native int pn_kmeans_assign(@Const FloatPointer x, @Const FloatPointer centroids, int n, int d,
                                              int centroidCount, IntPointer labels, FloatPointer dist, Pointer stream);
}
