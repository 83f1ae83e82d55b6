/*
 * JavaCPP binding of the kernel launchers compiled for the emulated device: the cuda/ sources built by g++
 * against simt_emu.h into libperennialemu.a (native/pom.xml), plus the emulator's own controls (pn_emu.h).
 * The launcher signatures are the C ABI of cuda/src/main/cuda/*.h, identical to the nvcc build, so a binding
 * of the real library will declare the same methods. "Device" pointers are host pointers here.
 * Callers should use EmulatedDevice (tensors in, tensors out); this class is the raw C ABI.
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

@Platform(value = "linux-x86_64",
          include = {"softmax_rows.h", "cosine_topk.h", "pn_emu.h", "token_scores.h", "cross_entropy.h", "row_reduce.h"},
          link = "perennialemu")
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

    /** token_scores.h: logits [n, v], targets [n] -> nll, entropy, el2n [n] (each may be null). */
    public static native int pn_token_scores(@Const FloatPointer logits, @Const IntPointer targets, int n, int v,
                                             int ignoreIndex, FloatPointer nll, FloatPointer entropy,
                                             FloatPointer el2n, Pointer stream);

    /** token_scores.h: per-sample means over the rows [offsets[s], offsets[s + 1]); outputs [s] (each may be null). */
    public static native int pn_sample_scores(@Const FloatPointer nll, @Const FloatPointer entropy,
                                              @Const FloatPointer el2n, @Const IntPointer targets,
                                              @Const IntPointer offsets, int s, int ignoreIndex, FloatPointer meanNll,
                                              FloatPointer meanExpNll, FloatPointer meanEl2n, FloatPointer entropyAll,
                                              FloatPointer entropyResp, IntPointer count, Pointer stream);

    /** cross_entropy.h: logits [n, v], targets [n] -> loss, lse [n]. */
    public static native int pn_cross_entropy_forward(@Const FloatPointer logits, @Const IntPointer targets, int n,
                                                      int v, int ignoreIndex, FloatPointer loss, FloatPointer lse,
                                                      Pointer stream);

    /** cross_entropy.h: dlogits [n, v] from logits [n, v], targets, lse and dloss [n]. */
    public static native int pn_cross_entropy_backward(@Const FloatPointer logits, @Const IntPointer targets,
                                                       @Const FloatPointer lse, @Const FloatPointer dloss, int n, int v,
                                                       int ignoreIndex, FloatPointer dlogits, Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows]; op 0 sum, 1 mean, 2 max. */
    public static native int pn_row_reduce(@Const FloatPointer in, FloatPointer out, int rows, int cols, int op,
                                           Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows] int32 argmax. */
    public static native int pn_row_argmax(@Const FloatPointer in, IntPointer out, int rows, int cols, Pointer stream);

    /** row_reduce.h: log-softmax of in + mask[r % maskRows]; in, out [rows, cols]; mask [maskRows, cols] or null. */
    public static native int pn_log_softmax_rows(@Const FloatPointer in, @Const FloatPointer mask, FloatPointer out,
                                                 int rows, int cols, int maskRows, Pointer stream);

    /** cosine_topk.h: queries [m, nq, d], keys [m, nk, d], weights [m], mask [nq, nk] or null -> [nq, k]. */
    public static native int pn_weighted_cosine_topk(@Const FloatPointer queries, @Const FloatPointer keys,
                                                     @Const FloatPointer weights, int m, int nq, int nk, int d,
                                                     @Cast("const unsigned char*") BytePointer candidateMask, int k,
                                                     IntPointer outIndex, FloatPointer outValue, Pointer stream);
}
