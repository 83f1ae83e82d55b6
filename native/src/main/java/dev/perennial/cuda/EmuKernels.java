/*
 * JavaCPP binding of the kernel launchers compiled for the emulated device: the cuda/ sources built by g++
 * against simt_emu.h into libperennialemu.a (native/pom.xml), plus the emulator's own controls (pn_emu.h).
 * The launcher signatures are the C ABI of cuda/src/main/cuda/*.h, identical to the nvcc build, so a binding
 * of the real library will declare the same methods. "Device" pointers are host pointers here.
 * Callers should use EmulatedDevice (tensors in, tensors out); this class is the raw C ABI.
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

@Platform(value = "linux-x86_64", include = {"softmax_rows.h", "cosine_topk.h", "pn_emu.h", "random_projection.h",
        "kmeans_assign.h"}, link = "perennialemu")
public final class EmuKernels {
    static { Loader.load(); }

    private EmuKernels() {}

    /** softmax_rows.h: in, out [rows, cols]; mask [maskRows, cols] or null. Returns a cudaError_t. */
    public static native int pn_softmax_rows(@Const FloatPointer in, @Const FloatPointer mask, FloatPointer out,
                                             int rows, int cols, int maskRows, float scale, Pointer stream);

    /** cosine_topk.h: queries [nq, d], keys [nk, d] -> outIndex, outValue [nq, k]. Returns a cudaError_t. */
    public static native int pn_cosine_topk(@Const FloatPointer queries, @Const FloatPointer keys, int nq, int nk, int d,
                                            int k, IntPointer outIndex, FloatPointer outValue, Pointer stream);

    /** Fiber run order for later launches: 0 forward, 1 reverse. */
    public static native void pn_emu_set_order(int order);

    /** Why the last failed launch on this thread failed. */
    public static native @Const String pn_emu_last_message();

    /** Launches a kernel with barrier divergence; returns 719 (cudaErrorLaunchFailure). */
    public static native int pn_emu_barrier_divergence(int threads);

    /** random_projection.h: out [n, k] (+)= x [n, d] · R[rowOffset .., :] (Rademacher signs of seed). */
    public static native int pn_rademacher_project(@Const FloatPointer x, int n, long d, int k,
                                                   @Cast("unsigned long long") long seed, long rowOffset,
                                                   int accumulate, FloatPointer out, Pointer stream);

    /** random_projection.h: rows of x [n, k] scaled to unit L2 norm in place; zero rows stay zero. */
    public static native int pn_l2_normalize_rows(FloatPointer x, int n, int k, Pointer stream);

    /** kmeans_assign.h: x [n, d], centroids [centroidCount, d] -> labels [n] (int32), dist [n]. */
    public static native int pn_kmeans_assign(@Const FloatPointer x, @Const FloatPointer centroids, int n, int d,
                                              int centroidCount, IntPointer labels, FloatPointer dist, Pointer stream);
}
