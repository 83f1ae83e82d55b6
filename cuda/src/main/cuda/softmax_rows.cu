/*
 * softmax_rows.cu — fused scale + additive mask + softmax over the rows of a [rows, cols] matrix (attention
 * probabilities, softmax_rows.h). One block of 128 threads per row; three passes over the row (max, sum of
 * exponentials, write) recompute s = scale * x + mask instead of staging it, so no dynamic shared memory is
 * needed and any row length works. Reference: ReferenceBackend.softmax (tests in native/, SoftmaxRowsTest).
 */
#include "softmax_rows.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ float score(const float* x, const float* m, int j, float scale) {
    return m ? scale * x[j] + m[j] : scale * x[j];
}

__global__ void __launch_bounds__(kThreads) softmax_rows_kernel(const float* in, const float* mask, float* out,
                                                                int cols, int mask_rows, float scale) {
    __shared__ float partials[32];
    const long long row = blockIdx.x;
    const float* x = in + row * cols;                                       // [cols]
    const float* m = mask ? mask + (row % mask_rows) * (long long)cols : nullptr;
    float* y = out + row * cols;                                            // [cols]

    float mx = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, score(x, m, j, scale));
    mx = pn::block_max(mx, partials);
    if (mx == -INFINITY) {                                                  // fully masked row -> zeros
        for (int j = threadIdx.x; j < cols; j += blockDim.x) y[j] = 0.0f;
        return;
    }
    float sum = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) sum += __expf(score(x, m, j, scale) - mx);
    sum = pn::block_sum(sum, partials);
    const float inv = 1.0f / sum;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) y[j] = __expf(score(x, m, j, scale) - mx) * inv;
}

}  // namespace

extern "C" int pn_softmax_rows(const float* in, const float* mask, float* out, int rows, int cols, int mask_rows,
                               float scale, void* stream) {
    if (rows < 0 || cols < 0 || (mask && (mask_rows <= 0 || rows % mask_rows != 0))) return cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return cudaSuccess;
    PN_LAUNCH(softmax_rows_kernel, dim3(rows), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        in, mask, out, cols, mask_rows, scale);
    return static_cast<int>(cudaGetLastError());
}
