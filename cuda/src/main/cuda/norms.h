/*
 * norms.h — C ABI of the row normalisation kernels (norms.cu), the device form of Backend.rmsNorm and
 * Backend.layerNorm over the last dim of a contiguous float32 [rows, d] matrix, and of their backward:
 *   pn_rms_norm:   out[r, j] = x[r, j] / sqrt(mean_j x[r, :]^2 + eps) * weight[j]
 *   pn_layer_norm: out[r, j] = (x[r, j] - mu_r) / sqrt(var_r + eps) * weight[j] + bias[j]
 *                  mu_r = mean_j x[r, :], var_r = mean_j (x[r, j] - mu_r)^2 (biased, as torch)
 * weight and bias [d] are optional (null = 1 and 0) and may be PN_DTYPE_F32, F16 or BF16 (pn_dtype.h), read at
 * element `*_offset` of their device pointer and widened exactly. x and out are device pointers (host pointers
 * on the emulated device) and may not overlap. A row of equal values has variance 0: out = bias (no NaN for
 * eps > 0). Accumulation is float32 (norms.cu explains the two-pass choice).
 * Returns a cudaError_t as int: 0; 1 (cudaErrorInvalidValue) for rows < 0, d < 0, a negative offset, an
 * unknown dtype code of a non-null weight/bias, or a null x/out with rows * d > 0; otherwise the launch error.
 * rows == 0 or d == 0 returns 0 without launching.
 *
 * Backward (the rules of dev.perennial.autograd.GradBackend), given dy [rows, d] and the forward's x/weight/eps:
 *   xhat = (x - mu) / sqrt(var + eps) (mu = 0, var = mean x^2 for RMSNorm), g = dy * weight
 *   dx      = (g - mean_j g - xhat * mean_j(g * xhat)) / sqrt(var + eps)      (no mean_j g term for RMSNorm)
 *   dweight = sum_r dy * xhat,  dbias = sum_r dy                              ([d], each optional: null = skip)
 * The statistics are recomputed from x. When dweight or dbias is asked for, row_stats is a device scratch of
 * [rows, 3] floats the launcher's two kernels share (it then holds per-row m, mu - m, 1/sqrt(var + eps)); it may
 * be null otherwise. dy, x, dx, dweight, dbias, row_stats must not overlap. Same error codes as the forward,
 * plus 1 for a null dy/x/dx or a null row_stats when parameter gradients are requested. rows == 0 zeroes
 * dweight/dbias (cudaMemsetAsync) without launching.
 */
#ifndef PN_NORMS_H
#define PN_NORMS_H

#include "pn_dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

int pn_rms_norm(const float* x /* [rows, d] */, const void* weight /* [d] or null */, int weight_dtype,
                long long weight_offset, float* out /* [rows, d] */, int rows, int d, float eps, void* stream);

int pn_layer_norm(const float* x /* [rows, d] */, const void* weight /* [d] or null */, int weight_dtype,
                  long long weight_offset, const void* bias /* [d] or null */, int bias_dtype, long long bias_offset,
                  float* out /* [rows, d] */, int rows, int d, float eps, void* stream);

int pn_rms_norm_backward(const float* dy /* [rows, d] */, const float* x /* [rows, d] */,
                         const void* weight /* [d] or null */, int weight_dtype, long long weight_offset,
                         float* dx /* [rows, d] */, float* dweight /* [d] or null */,
                         float* row_stats /* [rows, 3] scratch, or null without dweight */, int rows, int d, float eps,
                         void* stream);

int pn_layer_norm_backward(const float* dy /* [rows, d] */, const float* x /* [rows, d] */,
                           const void* weight /* [d] or null */, int weight_dtype, long long weight_offset,
                           float* dx /* [rows, d] */, float* dweight /* [d] or null */, float* dbias /* [d] or null */,
                           float* row_stats /* [rows, 3] scratch, or null without dweight/dbias */, int rows, int d,
                           float eps, void* stream);

#ifdef __cplusplus
}
#endif

#endif
