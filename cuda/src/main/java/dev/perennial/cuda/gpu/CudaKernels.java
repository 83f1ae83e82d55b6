/*
 * JavaCPP binding of the nvcc build, libperennialcuda.so (cuda/src/main/cuda, built by this module): the same C
 * ABI as the emulated build's EmuKernels, plus the device probe. Its JNI library links only libperennialcuda and,
 * through it, libcudart, which loads the driver lazily, so loading it on a machine without a GPU works and
 * pn_device_count reports the reason (docs/toolchain.md §1.4). KernelAbiParityTest checks that every launcher
 * of EmuKernels is declared here with the same signature.
 */
package dev.perennial.cuda.gpu;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

@Platform(value = "linux-x86_64", include = {"perennial_runtime.h", "softmax_rows.h", "cosine_topk.h",
        "strided.h", "norms.h", "rope.h", "embedding.h",
        "token_scores.h", "cross_entropy.h", "row_reduce.h",
        "attention.h",
        "random_projection.h", "kmeans_assign.h", "optimizer.h", "dropout.h"}, link = "perennialcuda")
public final class CudaKernels {
    static { Loader.load(); }

    private CudaKernels() {}

    /** perennial_runtime.h: number of usable devices; returns the cudaGetDeviceCount error (count 0 on error). */
    public static native int pn_device_count(IntPointer count);

    /** softmax_rows.h: in, out [rows, cols]; mask [maskRows, cols] or null. Returns a cudaError_t. */
    public static native int pn_softmax_rows(@Const FloatPointer in, @Const FloatPointer mask, FloatPointer out,
                                             int rows, int cols, int maskRows, float scale, Pointer stream);

    /** cosine_topk.h: queries [nq, d], keys [nk, d] -> outIndex, outValue [nq, k]. Returns a cudaError_t. */
    public static native int pn_cosine_topk(@Const FloatPointer queries, @Const FloatPointer keys, int nq, int nk, int d,
                                            int k, IntPointer outIndex, FloatPointer outValue, Pointer stream);

    /** strided.h: out [shape] = op(x view); x any of F32/F16/BF16 (dtype code), strides/shape host arrays [rank]. */
    public static native int pn_strided_unary(int op, @Const Pointer x, int xDtype, long xOffset, @Const LongPointer xStrides,
                                              @Const LongPointer shape, int rank, float s, FloatPointer out, Pointer stream);

    /** strided.h: out [shape] = op(a view, b view), both given over the output shape (stride 0 = broadcast). */
    public static native int pn_strided_binary(int op, @Const Pointer a, int aDtype, long aOffset, @Const LongPointer aStrides,
                                               @Const Pointer b, int bDtype, long bOffset, @Const LongPointer bStrides,
                                               @Const LongPointer shape, int rank, FloatPointer out, Pointer stream);

    /** strided.h: out [shape] = the x view's elements bit for bit (elemBytes 1, 2, 4 or 8). */
    public static native int pn_strided_copy(@Const Pointer x, int elemBytes, long xOffset, @Const LongPointer xStrides,
                                             @Const LongPointer shape, int rank, Pointer out, Pointer stream);

    /** strided.h: the strided copy into a strided output view (out, outOffset, outStrides [rank]). */
    public static native int pn_strided_copy_to(@Const Pointer x, int elemBytes, long xOffset, @Const LongPointer xStrides,
                                                @Const LongPointer shape, int rank, Pointer out, long outOffset,
                                                @Const LongPointer outStrides, Pointer stream);

    /** norms.h: x, out [rows, d]; weight [d] or null (dtype code, element offset). */
    public static native int pn_rms_norm(@Const FloatPointer x, @Const Pointer weight, int weightDtype, long weightOffset,
                                         FloatPointer out, int rows, int d, float eps, Pointer stream);

    /** norms.h: x, out [rows, d]; weight, bias [d] or null (dtype codes, element offsets). */
    public static native int pn_layer_norm(@Const FloatPointer x, @Const Pointer weight, int weightDtype, long weightOffset,
                                           @Const Pointer bias, int biasDtype, long biasOffset, FloatPointer out, int rows,
                                           int d, float eps, Pointer stream);

    /** norms.h: dx [rows, d] (and dweight [d], or null) of RMSNorm from dy, x; rowStats [rows, 3] scratch or null. */
    public static native int pn_rms_norm_backward(@Const FloatPointer dy, @Const FloatPointer x, @Const Pointer weight,
                                                  int weightDtype, long weightOffset, FloatPointer dx, FloatPointer dweight,
                                                  FloatPointer rowStats, int rows, int d, float eps, Pointer stream);

    /** norms.h: dx [rows, d] (and dweight, dbias [d], or null) of LayerNorm; rowStats [rows, 3] scratch or null. */
    public static native int pn_layer_norm_backward(@Const FloatPointer dy, @Const FloatPointer x, @Const Pointer weight,
                                                    int weightDtype, long weightOffset, FloatPointer dx,
                                                    FloatPointer dweight, FloatPointer dbias, FloatPointer rowStats,
                                                    int rows, int d, float eps, Pointer stream);

    /** rope.h: x view [B, H, T, hd] by strides, positions int32 [T] or [B, T], out [B, H, T, hd]; inverse = backward. */
    public static native int pn_rope(@Const FloatPointer x, long strideB, long strideH, long strideT, long strideD,
                                     @Const IntPointer positions, int positionsPerBatch, FloatPointer out, int batch,
                                     int heads, int seq, int headDim, float theta, int inverse, Pointer stream);

    /** embedding.h: out [n, dim] = table [vocab, dim] rows of ids [n] (I32/I64); errorFlag = n - first bad position. */
    public static native int pn_embedding(@Const Pointer table, int tableDtype, long tableOffset, int vocab, int dim,
                                          @Const Pointer ids, int idsDtype, long idsOffset, int n, FloatPointer out,
                                          IntPointer errorFlag, Pointer stream);
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

    /** random_projection.h */
    public static native int pn_rademacher_project(@Const FloatPointer x, int n, long d, int k,
                                                   @Cast("unsigned long long") long seed, long rowOffset,
                                                   int accumulate, FloatPointer out, Pointer stream);

    /** random_projection.h */
    public static native int pn_l2_normalize_rows(FloatPointer x, int n, int k, Pointer stream);

    /** kmeans_assign.h */
    public static native int pn_kmeans_assign(@Const FloatPointer x, @Const FloatPointer centroids, int n, int d,
                                              int centroidCount, IntPointer labels, FloatPointer dist, Pointer stream);

    /** optimizer.h: one AdamW update in place of param, expAvg, expAvgSq [n] from grad [n] (scalars in double). */
    public static native int pn_adamw(FloatPointer param, @Const FloatPointer grad, FloatPointer expAvg,
                                      FloatPointer expAvgSq, long n, double beta1, double oneMinusBeta1, double beta2,
                                      double oneMinusBeta2, double eps, double decay, double stepSize,
                                      double biasCorrection2Sqrt, Pointer stream);

    /** optimizer.h: partial[c] = Σ x² in double over chunk c of PN_SQUARES_BLOCK elements. */
    public static native int pn_sum_squares(@Const FloatPointer x, long n, DoublePointer partial, Pointer stream);

    /** optimizer.h: x = float(x · factor) in place, the product in double. */
    public static native int pn_scale_in_place(FloatPointer x, long n, double factor, Pointer stream);

    /** dropout.h: out [n] = inverted-dropout mask of seed (SplittableRandom's draws), keep = 1 / (1 - p). */
    public static native int pn_dropout_mask(long seed, float p, float keep, long n, FloatPointer out, Pointer stream);
}
