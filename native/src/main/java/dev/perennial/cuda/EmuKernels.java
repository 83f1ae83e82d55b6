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

@Platform(value = "linux-x86_64", include = {"softmax_rows.h", "cosine_topk.h", "attention.h", "pn_emu.h"}, link = "perennialemu")
public final class EmuKernels {
    static { Loader.load(); }

    private EmuKernels() {}

    /** softmax_rows.h: in, out [rows, cols]; mask [maskRows, cols] or null. Returns a cudaError_t. */
    public static native int pn_softmax_rows(@Const FloatPointer in, @Const FloatPointer mask, FloatPointer out,
                                             int rows, int cols, int maskRows, float scale, Pointer stream);

    /** cosine_topk.h: queries [nq, d], keys [nk, d] -> outIndex, outValue [nq, k]. Returns a cudaError_t. */
    public static native int pn_cosine_topk(@Const FloatPointer queries, @Const FloatPointer keys, int nq, int nk, int d,
                                            int k, IntPointer outIndex, FloatPointer outValue, Pointer stream);

    /**
     * attention.h: q [B, H, T, hd], k/v [B, KV, Tk, hd] (rows contiguous, batch/head strides in elements), keyValid
     * [B, Tk] uint8 or null -> out [B, H, T, hd], lse [B, H, T]. Returns a cudaError_t.
     */
    public static native int pn_attention_forward(@Const FloatPointer q, @Const FloatPointer k, @Const FloatPointer v,
                                                  @Cast("const unsigned char*") BytePointer keyValid, int b, int h,
                                                  int kv, int t, int tk, int hd, long qBatchStride, long qHeadStride,
                                                  long kvBatchStride, long kvHeadStride, int causal, int start,
                                                  float scale, FloatPointer out, FloatPointer lse, Pointer stream);

    /**
     * attention.h: gradients of pn_attention_forward given out, lse and dout (contiguous) -> dq [B, H, T, hd],
     * dk/dv [B, KV, Tk, hd]. Returns a cudaError_t.
     */
    public static native int pn_attention_backward(@Const FloatPointer q, @Const FloatPointer k, @Const FloatPointer v,
                                                   @Cast("const unsigned char*") BytePointer keyValid,
                                                   @Const FloatPointer out, @Const FloatPointer lse,
                                                   @Const FloatPointer dout, int b, int h, int kv, int t, int tk,
                                                   int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                                                   long kvHeadStride, int causal, int start, float scale,
                                                   FloatPointer dq, FloatPointer dk, FloatPointer dv, Pointer stream);

    /** Fiber run order for later launches: 0 forward, 1 reverse. */
    public static native void pn_emu_set_order(int order);

    /** Why the last failed launch on this thread failed. */
    public static native @Const String pn_emu_last_message();

    /** Launches a kernel with barrier divergence; returns 719 (cudaErrorLaunchFailure). */
    public static native int pn_emu_barrier_divergence(int threads);
}
