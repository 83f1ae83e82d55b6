/*
 * optimizer.h — C ABI of the optimizer kernels (optimizer.cu), the device form of FusedOptimizer: the AdamW
 * update and the two halves of gradient clipping, so parameters, gradients and AdamW moments stay in device
 * memory for a whole training step (docs/architecture.md, "Device residency"; docs/kernels.md).
 *
 * pn_adamw: for i in [0, n), in double with every product and sum rounded as written (no fused multiply-add),
 *   g = grad[i]
 *   m = float(beta1 * exp_avg[i] + one_minus_beta1 * g)          stored in exp_avg[i]
 *   v = float(beta2 * exp_avg_sq[i] + (one_minus_beta2 * g) * g)  stored in exp_avg_sq[i]
 *   param[i] = float(param[i] * decay - (step_size * m) / (sqrt(v) / bias_correction2_sqrt + eps))
 * with decay = 1 - lr * weight_decay, step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t)
 * computed by the caller: exactly CpuBackend's loop (CpuOptimizerKernels), so the results are equal bit for bit.
 * pn_sum_squares: partial[c] = sum of x[i]^2 in double over chunk c = [c * PN_SQUARES_BLOCK, (c + 1) * ...) ∩ [0, n)
 *   for c in [0, ceil(n / PN_SQUARES_BLOCK)); the caller adds the partials in order. Within a chunk the order of
 *   the additions differs from the CPU's (a tree), so sums agree to double rounding, not bit for bit.
 * pn_scale_in_place: x[i] = float(double(x[i]) * factor).
 * All pointers are device pointers (host pointers on the emulated device); n <= 2^31 - 1.
 * Returns a cudaError_t as int: 0; 1 (cudaErrorInvalidValue) for n < 0 or a null pointer with n > 0; otherwise
 * the launch error. n == 0 returns 0 without launching.
 */
#ifndef PN_OPTIMIZER_H
#define PN_OPTIMIZER_H

#define PN_SQUARES_BLOCK 32768

#ifdef __cplusplus
extern "C" {
#endif

int pn_adamw(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, long long n, double beta1,
             double one_minus_beta1, double beta2, double one_minus_beta2, double eps, double decay, double step_size,
             double bias_correction2_sqrt, void* stream);

int pn_sum_squares(const float* x, long long n, double* partial /* [ceil(n / PN_SQUARES_BLOCK)] */, void* stream);

int pn_scale_in_place(float* x, long long n, double factor, void* stream);

#ifdef __cplusplus
}
#endif

#endif
