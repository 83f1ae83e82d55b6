/*
 * bf16x3.h — C ABI of the exact three-term bfloat16 split of float32 operands (bf16x3.cu), which lets a cuBLAS
 * GEMM with BF16 inputs, FP32 accumulation (cublasGemmEx, CUDA_R_16BF, CUBLAS_COMPUTE_32F) multiply float32
 * activations by BF16 weights without rounding the activations (docs/kernels.md, "bf16x3"; the CUDA backend's
 * GEMM plan, docs/architecture.md "CUDA backend").
 *
 *   pn_bf16x3_split: x [n] float32 -> parts [3, n] bfloat16 (hi, mid, lo) with x = hi + mid + lo exactly:
 *     hi = x truncated to its upper 16 bits, mid = (x - hi) truncated likewise, lo = x - hi - mid. Each step keeps
 *     8 significant bits of the 24 of a float32 and both subtractions are exact, so lo is a bfloat16 exactly —
 *     for |x| >= 2^-110; below that the low bits fall under bfloat16's smallest subnormal 2^-133 and are dropped
 *     (|error| < 2^-133). Truncation, not rounding, so hi never overflows to Inf (the largest float stays finite).
 *     Inf and NaN: hi = x (NaN quieted as Half.floatToBf16 does), mid = lo = +0.
 *   pn_bf16x3_sum: products [3, n] float32 (the GEMM of the three parts stacked as rows) -> out [n] =
 *     (products[2n + i] + products[n + i]) + products[i], smallest terms first.
 *
 * A product of two bfloat16 values (8 significant bits each) is exact in float32, so W (hi + mid + lo) computed
 * with float32 accumulation equals W x up to the float32 accumulation error of a float32 GEMM.
 * Pointers are device pointers (host pointers on the emulated device), contiguous; parts/out must not overlap
 * the input. Returns a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) for n < 0 or a null pointer with n > 0,
 * or the launch error; n == 0 returns 0 without launching.
 */
#ifndef PN_BF16X3_H
#define PN_BF16X3_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_bf16x3_split(const float* x /* [n] */, long long n, void* parts /* [3, n] bf16 */, void* stream);

int pn_bf16x3_sum(const float* products /* [3, n] */, long long n, float* out /* [n] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
