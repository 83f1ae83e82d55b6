/*
 * optimizer.cu — the AdamW update, the chunked sum of squares and the in-place scaling of gradient clipping
 * (optimizer.h). The update is one grid-stride pass over the four arrays (read g, m, v, p; write m, v, p): pure
 * bandwidth, 28 bytes per element. Products and sums go through __dmul_rn/__dadd_rn/__dsub_rn so nvcc cannot
 * contract them into fused multiply-adds, which keeps every element equal to the CPU loop's (and the resumed-run
 * guarantee of train.AdamW). The sum of squares runs one 256-thread block per 32768-element chunk: each thread
 * sums its 128 strided elements in double, then a warp butterfly and the per-warp partials give the chunk's sum.
 * Reference: CpuOptimizerKernels / ReferenceBackend (OptimizerKernelsTest in native/).
 */
#include "optimizer.h"
#include "perennial_compat.h"

#include <climits>

namespace {

constexpr int kThreads = 256;
constexpr long long kMaxBlocks = 8192;

__global__ void __launch_bounds__(kThreads) adamw_kernel(float* param, const float* grad, float* m_arr, float* v_arr,
                                                         int n, double beta1, double omb1, double beta2, double omb2,
                                                         double eps, double decay, double step_size, double bc2) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const double g = grad[i];
        const float m = static_cast<float>(__dadd_rn(__dmul_rn(beta1, m_arr[i]), __dmul_rn(omb1, g)));
        const float v = static_cast<float>(__dadd_rn(__dmul_rn(beta2, v_arr[i]), __dmul_rn(__dmul_rn(omb2, g), g)));
        m_arr[i] = m;
        v_arr[i] = v;
        const double p = __dmul_rn(static_cast<double>(param[i]), decay);
        const double denom = __dadd_rn(__ddiv_rn(__dsqrt_rn(static_cast<double>(v)), bc2), eps);
        param[i] = static_cast<float>(__dsub_rn(p, __ddiv_rn(__dmul_rn(step_size, static_cast<double>(m)), denom)));
    }
}

__global__ void __launch_bounds__(kThreads) sum_squares_kernel(const float* x, int n, double* partial) {
    __shared__ double warp_sums[kThreads / 32];
    const long long begin = static_cast<long long>(blockIdx.x) * PN_SQUARES_BLOCK;
    const long long end = begin + PN_SQUARES_BLOCK < n ? begin + PN_SQUARES_BLOCK : n;
    double s = 0;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x) {
        const double v = x[i];
        s = __dadd_rn(s, __dmul_rn(v, v));
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0;
        for (int w = 0; w < kThreads / 32; w++) total += warp_sums[w];
        partial[blockIdx.x] = total;
    }
}

__global__ void __launch_bounds__(kThreads) scale_kernel(float* x, int n, double factor) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        x[i] = static_cast<float>(__dmul_rn(static_cast<double>(x[i]), factor));
    }
}

dim3 grid_for(long long n) {
    const long long blocks = (n + kThreads - 1) / kThreads;
    return dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace

extern "C" int pn_adamw(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, long long n, double beta1,
                        double one_minus_beta1, double beta2, double one_minus_beta2, double eps, double decay,
                        double step_size, double bias_correction2_sqrt, void* stream) {
    if (n < 0 || n > INT_MAX) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    if (param == nullptr || grad == nullptr || exp_avg == nullptr || exp_avg_sq == nullptr) return cudaErrorInvalidValue;
    PN_LAUNCH(adamw_kernel, grid_for(n), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        param, grad, exp_avg, exp_avg_sq, static_cast<int>(n), beta1, one_minus_beta1, beta2, one_minus_beta2, eps,
        decay, step_size, bias_correction2_sqrt);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_sum_squares(const float* x, long long n, double* partial, void* stream) {
    if (n < 0 || n > INT_MAX) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    if (x == nullptr || partial == nullptr) return cudaErrorInvalidValue;
    const long long chunks = (n + PN_SQUARES_BLOCK - 1) / PN_SQUARES_BLOCK;
    PN_LAUNCH(sum_squares_kernel, dim3(static_cast<unsigned>(chunks)), dim3(kThreads), 0,
              static_cast<cudaStream_t>(stream))(x, static_cast<int>(n), partial);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_scale_in_place(float* x, long long n, double factor, void* stream) {
    if (n < 0 || n > INT_MAX) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    if (x == nullptr) return cudaErrorInvalidValue;
    PN_LAUNCH(scale_kernel, grid_for(n), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        x, static_cast<int>(n), factor);
    return static_cast<int>(cudaGetLastError());
}
