/*
 * row_reduce.cu — reductions over the last dimension of a [rows, cols] matrix (row_reduce.h): sum / mean / max,
 * argmax, and log-softmax with an optional shared additive mask, so the CUDA backend keeps these Backend ops on
 * the device. One block of 128 threads per row, like softmax_rows: threads read the row with a coalesced
 * stride, fold it in registers, and pn_block_reduce.cuh combines the 128 partial results. Log-softmax takes three
 * passes over the row (max, sum of exponentials, write) and recomputes s = x + mask rather than staging it, so
 * any row length works without dynamic shared memory. All are memory bound (one read of the row; log-softmax
 * reads it three times, normally from L2/L1, and writes it once).
 * The max here propagates NaN (ReferenceBackend.max follows torch.max), unlike pn::block_max (fmaxf drops NaN),
 * hence the local nan_max reduction. References: ReferenceBackend.sum/mean/max/argmax/logSoftmax
 * (RowReduceTest in native/).
 */
#include "row_reduce.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 128;

// max that returns NaN when either operand is NaN.
__device__ __forceinline__ float nan_max(float a, float b) { return (a != a || a > b) ? a : b; }

__device__ __forceinline__ float warp_nan_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(pn::kFullMask, v, o));
    return v;
}

// NaN-propagating max over the block; identical in every thread (nan_max of the same pair in either order gives
// the same value except for a NaN's payload). partials: __shared__ float[32].
__device__ __forceinline__ float block_nan_max(float v, float* partials) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = warp_nan_max(v);
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = warp_nan_max(lane < nwarps ? partials[lane] : -INFINITY);
    __syncthreads();
    return v;
}

__global__ void __launch_bounds__(kThreads) row_reduce_kernel(const float* in, float* out, int cols, int op) {
    __shared__ float partials[32];
    const long long row = blockIdx.x;
    const float* x = in + row * cols;                                       // [cols]
    float r;
    if (op == PN_ROW_MAX) {
        float m = -INFINITY;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) m = nan_max(m, x[j]);
        r = block_nan_max(m, partials);
    } else {
        float s = 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) s += x[j];
        r = pn::block_sum(s, partials);
        if (op == PN_ROW_MEAN) r = r / static_cast<float>(cols);            // cols == 0 -> 0/0 = NaN
    }
    if (threadIdx.x == 0) out[row] = r;
}

__global__ void __launch_bounds__(kThreads) row_argmax_kernel(const float* in, int* out, int cols) {
    __shared__ float value_partials[32];
    __shared__ int index_partials[32];
    const long long row = blockIdx.x;
    const float* x = in + row * cols;                                       // [cols]
    pn::ArgBest best{-INFINITY, 0x7fffffff};
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        if (pn::better(x[j], j, best)) best = pn::ArgBest{x[j], j};        // NaN is never better: ranks last
    }
    best = pn::block_argbest(best, value_partials, index_partials);
    if (threadIdx.x == 0) out[row] = best.index == 0x7fffffff ? 0 : best.index;   // all NaN -> 0
}

__device__ __forceinline__ float masked(const float* x, const float* m, int j) { return m ? x[j] + m[j] : x[j]; }

__global__ void __launch_bounds__(kThreads) log_softmax_rows_kernel(const float* in, const float* mask, float* out,
                                                                    int cols, int mask_rows) {
    __shared__ float partials[32];
    const long long row = blockIdx.x;
    const float* x = in + row * cols;                                       // [cols]
    const float* m = mask ? mask + (row % mask_rows) * (long long)cols : nullptr;
    float* y = out + row * cols;                                            // [cols]

    float mx = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) mx = nan_max(mx, masked(x, m, j));
    mx = block_nan_max(mx, partials);
    if (mx == -INFINITY) {                                                  // fully masked row -> -inf
        for (int j = threadIdx.x; j < cols; j += blockDim.x) y[j] = -INFINITY;
        return;
    }
    float sum = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) sum += __expf(masked(x, m, j) - mx);
    const float log_sum = logf(pn::block_sum(sum, partials));
    for (int j = threadIdx.x; j < cols; j += blockDim.x) y[j] = (masked(x, m, j) - mx) - log_sum;
}

}  // namespace

extern "C" int pn_row_reduce(const float* in, float* out, int rows, int cols, int op, void* stream) {
    if (rows < 0 || cols < 0 || (op != PN_ROW_SUM && op != PN_ROW_MEAN && op != PN_ROW_MAX)) {
        return cudaErrorInvalidValue;
    }
    if (rows == 0) return cudaSuccess;
    if ((op == PN_ROW_MAX && cols == 0) || !out || (!in && cols > 0)) return cudaErrorInvalidValue;
    PN_LAUNCH(row_reduce_kernel, dim3(rows), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(in, out, cols, op);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_row_argmax(const float* in, int* out, int rows, int cols, void* stream) {
    if (rows < 0 || cols < 0) return cudaErrorInvalidValue;
    if (rows == 0) return cudaSuccess;
    if (cols == 0 || !in || !out) return cudaErrorInvalidValue;
    PN_LAUNCH(row_argmax_kernel, dim3(rows), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(in, out, cols);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_log_softmax_rows(const float* in, const float* mask, float* out, int rows, int cols, int mask_rows,
                                   void* stream) {
    if (rows < 0 || cols < 0 || (mask && (mask_rows <= 0 || rows % mask_rows != 0))) return cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return cudaSuccess;
    if (!in || !out) return cudaErrorInvalidValue;
    PN_LAUNCH(log_softmax_rows_kernel, dim3(rows), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        in, mask, out, cols, mask_rows);
    return static_cast<int>(cudaGetLastError());
}
