/*
 * The C ABI launchers of cuda/src/main/cuda/*.h as Java methods, one per launcher, with the C names'
 * arguments in the same order: method fooBar is launcher pn_foo_bar. StaticBindingAbi implements it over either
 * JavaCPP binding of the same sources: EmuKernels (the g++ build run by the emulated device) or, in the
 * perennial-cuda module, CudaKernels (the nvcc build, libperennialcuda.so). DeviceKernels is written once against
 * this interface, so the code that tests pass on the emulated device is the code that runs on a GPU.
 *
 * Pointers are device pointers (host pointers on the emulated device); every method returns the launcher's
 * cudaError_t as int (0 = success, 1 = cudaErrorInvalidValue for bad sizes, 719 = launch failure).
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

public interface KernelAbi {

    /** softmax_rows.h: in, out [rows, cols]; mask [maskRows, cols] or null. */
    int softmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                    float scale, Pointer stream);

    /** cosine_topk.h: queries [nq, d], keys [nk, d] -> outIndex (int32), outValue [nq, k]. */
    int cosineTopk(FloatPointer queries, FloatPointer keys, int nq, int nk, int d, int k, IntPointer outIndex,
                   FloatPointer outValue, Pointer stream);

    /**
     * strided.h pn_strided_unary: out [shape] = op(x) in float32; x a view (base pointer, dtype code, element
     * offset, strides) of F32/F16/BF16; shape and strides are host arrays of {@code rank} longs.
     */
    int stridedUnary(int op, Pointer x, int xDtype, long xOffset, LongPointer xStrides, LongPointer shape, int rank,
                     float s, FloatPointer out, Pointer stream);

    /** strided.h pn_strided_binary: out [shape] = op(a, b), both views given over the output shape (0 = broadcast). */
    int stridedBinary(int op, Pointer a, int aDtype, long aOffset, LongPointer aStrides, Pointer b, int bDtype,
                      long bOffset, LongPointer bStrides, LongPointer shape, int rank, FloatPointer out, Pointer stream);

    /** strided.h pn_strided_copy: out [shape] = the view's elements bit for bit (elemBytes 1, 2, 4 or 8). */
    int stridedCopy(Pointer x, int elemBytes, long xOffset, LongPointer xStrides, LongPointer shape, int rank,
                    Pointer out, Pointer stream);

    /** strided.h pn_strided_copy_to: the strided copy into a strided output view. */
    int stridedCopyTo(Pointer x, int elemBytes, long xOffset, LongPointer xStrides, LongPointer shape, int rank,
                      Pointer out, long outOffset, LongPointer outStrides, Pointer stream);

    /** norms.h pn_rms_norm: x, out [rows, d] float32; weight [d] or null (dtype code, element offset). */
    int rmsNorm(FloatPointer x, Pointer weight, int weightDtype, long weightOffset, FloatPointer out, int rows, int d,
                float eps, Pointer stream);

    /** norms.h pn_layer_norm: x, out [rows, d] float32; weight, bias [d] or null (dtype codes, element offsets). */
    int layerNorm(FloatPointer x, Pointer weight, int weightDtype, long weightOffset, Pointer bias, int biasDtype,
                  long biasOffset, FloatPointer out, int rows, int d, float eps, Pointer stream);

    /** norms.h pn_rms_norm_backward: dx [rows, d], dweight [d] or null; rowStats [rows, 3] scratch (null without dweight). */
    int rmsNormBackward(FloatPointer dy, FloatPointer x, Pointer weight, int weightDtype, long weightOffset,
                        FloatPointer dx, FloatPointer dweight, FloatPointer rowStats, int rows, int d, float eps,
                        Pointer stream);

    /** norms.h pn_layer_norm_backward: dx [rows, d], dweight and dbias [d] or null; rowStats [rows, 3] scratch. */
    int layerNormBackward(FloatPointer dy, FloatPointer x, Pointer weight, int weightDtype, long weightOffset,
                          FloatPointer dx, FloatPointer dweight, FloatPointer dbias, FloatPointer rowStats, int rows,
                          int d, float eps, Pointer stream);

    /** rope.h pn_rope: x view [B, H, T, hd] (strides in elements), positions int32 [T] or [B, T] -> out contiguous. */
    int rope(FloatPointer x, long strideB, long strideH, long strideT, long strideD, IntPointer positions,
             int positionsPerBatch, FloatPointer out, int batch, int heads, int seq, int headDim, float theta,
             int inverse, Pointer stream);

    /** embedding.h pn_embedding: out [n, dim] = rows of table [vocab, dim]; errorFlag = n - first bad position, or 0. */
    int embedding(Pointer table, int tableDtype, long tableOffset, int vocab, int dim, Pointer ids, int idsDtype,
                  long idsOffset, int n, FloatPointer out, IntPointer errorFlag, Pointer stream);

    /** Why the last failed launch on this thread failed, if the implementation knows ("" otherwise). */
    String lastMessage();

    /** token_scores.h: logits [n, v], targets [n] -> nll, entropy, el2n [n] (each may be null). */
    int tokenScores(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex, FloatPointer nll,
                    FloatPointer entropy, FloatPointer el2n, Pointer stream);

    /**
     * token_scores.h: means over the rows [offsets[i], offsets[i + 1]) of each of the s samples;
     * outputs [s], each may be null.
     */
    int sampleScores(FloatPointer nll, FloatPointer entropy, FloatPointer el2n, IntPointer targets,
                     IntPointer offsets, int s, int ignoreIndex, FloatPointer meanNll, FloatPointer meanExpNll,
                     FloatPointer meanEl2n, FloatPointer entropyAll, FloatPointer entropyResp, IntPointer count,
                     Pointer stream);

    /** cross_entropy.h: logits [n, v], targets [n] -> loss, lse [n]. */
    int crossEntropyForward(FloatPointer logits, IntPointer targets, int n, int v, int ignoreIndex,
                            FloatPointer loss, FloatPointer lse, Pointer stream);

    /** cross_entropy.h: dlogits [n, v] from logits [n, v], targets, lse and dloss [n]. */
    int crossEntropyBackward(FloatPointer logits, IntPointer targets, FloatPointer lse, FloatPointer dloss,
                             int n, int v, int ignoreIndex, FloatPointer dlogits, Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows]; op 0 sum, 1 mean, 2 max (PN_ROW_*). */
    int rowReduce(FloatPointer in, FloatPointer out, int rows, int cols, int op, Pointer stream);

    /** row_reduce.h: in [rows, cols] -> out [rows] int32 argmax. */
    int rowArgmax(FloatPointer in, IntPointer out, int rows, int cols, Pointer stream);

    /**
     * row_reduce.h: log-softmax of in + mask[r % maskRows]; in, out [rows, cols]; mask [maskRows, cols]
     * or null.
     */
    int logSoftmaxRows(FloatPointer in, FloatPointer mask, FloatPointer out, int rows, int cols, int maskRows,
                       Pointer stream);

    /**
     * cosine_topk.h: queries [m, nq, d], keys [m, nk, d], weights [m], candidateMask [nq, nk] or null
     * -> outIndex (int32, -1 = empty slot), outValue [nq, k].
     */
    int weightedCosineTopk(FloatPointer queries, FloatPointer keys, FloatPointer weights, int m, int nq, int nk,
                           int d, BytePointer candidateMask, int k, IntPointer outIndex, FloatPointer outValue,
                           Pointer stream);

    /**
     * attention.h pn_attention_forward: q [b, h, t, hd], k/v [b, kv, tk, hd] (rows contiguous, batch/head strides
     * in elements), keyValid [b, tk] uint8 or null -> out [b, h, t, hd], lse [b, h, t].
     */
    int attentionForward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid, int b, int h, int kv,
                         int t, int tk, int hd, long qBatchStride, long qHeadStride, long kvBatchStride,
                         long kvHeadStride, int causal, int start, float scale, FloatPointer out, FloatPointer lse,
                         Pointer stream);

    /** attention.h pn_attention_backward: out, lse, dout contiguous -> dq [b, h, t, hd], dk/dv [b, kv, tk, hd]. */
    int attentionBackward(FloatPointer q, FloatPointer k, FloatPointer v, BytePointer keyValid, FloatPointer out,
                          FloatPointer lse, FloatPointer dout, int b, int h, int kv, int t, int tk, int hd,
                          long qBatchStride, long qHeadStride, long kvBatchStride, long kvHeadStride, int causal,
                          int start, float scale, FloatPointer dq, FloatPointer dk, FloatPointer dv, Pointer stream);

    /** random_projection.h: out [n, k] (+)= x [n, d] · R[rowOffset .., :] with R the Rademacher signs of seed. */
    int rademacherProject(FloatPointer x, int n, long d, int k, long seed, long rowOffset, int accumulate,
                          FloatPointer out, Pointer stream);

    /** random_projection.h: rows of x [n, k] scaled to unit L2 norm in place; zero rows stay zero. */
    int l2NormalizeRows(FloatPointer x, int n, int k, Pointer stream);

    /** kmeans_assign.h: x [n, d], centroids [centroidCount, d] -> labels [n] (int32), dist [n] (squared distances). */
    int kmeansAssign(FloatPointer x, FloatPointer centroids, int n, int d, int centroidCount, IntPointer labels,
                     FloatPointer dist, Pointer stream);

    /** optimizer.h pn_adamw: one AdamW update in place (see FusedOptimizer and optimizer.h for the formula). */
    int adamw(FloatPointer param, FloatPointer grad, FloatPointer expAvg, FloatPointer expAvgSq, long n, double beta1,
              double oneMinusBeta1, double beta2, double oneMinusBeta2, double eps, double decay, double stepSize,
              double biasCorrection2Sqrt, Pointer stream);

    /** optimizer.h pn_sum_squares: per-chunk Σ x² in double. */
    int sumSquares(FloatPointer x, long n, DoublePointer partial, Pointer stream);

    /** optimizer.h pn_scale_in_place: x = float(x · factor). */
    int scaleInPlace(FloatPointer x, long n, double factor, Pointer stream);

    /** dropout.h pn_dropout_mask: the inverted-dropout mask of a seed. */
    int dropoutMask(long seed, float p, float keep, long n, FloatPointer out, Pointer stream);
}
