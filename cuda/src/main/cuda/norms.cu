/*
 * norms.cu — RMSNorm and LayerNorm over the rows of a contiguous [rows, d] float32 matrix, forward and backward
 * (norms.h). Both norms are one code path: y = (x - mu) * rsqrt(var + eps) * w + b with mu = 0 and
 * var = mean(x^2) (RMSNorm) or the row mean and biased variance (LayerNorm, `center`), so the two ops share
 * their reductions and their tests.
 *
 * Statistics: corrected two-pass in fp32 (Chan, Golub & LeVeque 1983). Pass 1 sums x for a first mean m
 * (LayerNorm only); pass 2 sums c = x - m and c^2 in the same sweep; then shift = sum(c)/d (mu = m + shift)
 * and var = max(sum(c^2)/d - shift^2, 0); the output pass uses xhat = ((x - m) - shift) * rsqrt(var + eps)
 * (mu itself is never rounded to float: at |mu| = 100 that alone would cost 3.8e-6 in x - mu). The correction
 * removes the rounding error of the float mean to first order, which matters when |mean| >> std, and makes a
 * constant row exact: c is then exactly x - m (Sterbenz), shift exactly c, var 0 and y the bias — no NaN, no
 * eps-amplified noise. Chosen over Welford: the same accuracy with plain sums instead of a division per element
 * and a three-value merge per shuffle step, and no dependence on how the row is split among threads beyond
 * summation order. The repeated reads of a row (d * 4 bytes, 16 KiB at d = 4096) hit L1/L2 right after the
 * first, so DRAM traffic stays ~one read of x plus one write of y.
 *
 * Backward (GradBackend's rules): with g = dy * w, dx = rsqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat))
 * (mean(g) dropped for RMSNorm), recomputing the statistics instead of storing them in the forward; the row
 * kernel also writes (m, shift, rsqrt) per row to a [rows, 3] scratch, from which a column kernel forms
 * dweight = sum_rows dy * xhat and dbias = sum_rows dy: 32 columns x 8 row lanes per 256-thread block, partial
 * sums combined in a fixed order in shared memory, so the result is deterministic (no atomics).
 *
 * Tiling of the row kernels: d <= 1024 -> a warp per row, 4 rows per 128-thread block, warp-shuffle reductions
 * only (no barrier; a warp whose row is past the end exits as a whole); d > 1024 -> a 256-thread block per row
 * with pn::block_sum. Weight/bias are read through pn::load_float, so F16/BF16 parameters need no conversion.
 * Reference: ReferenceBackend.rmsNorm/layerNorm and GradBackend's rules in double, tests in native/ (NormsTest).
 */
#include "norms.h"
#include "pn_block_reduce.cuh"
#include "pn_half.cuh"

namespace {

constexpr int kWarpThreads = 128;                 // warp-per-row kernels: 4 rows per block
constexpr int kRowsPerBlock = kWarpThreads / 32;
constexpr int kBlockThreads = 256;                // block-per-row kernels
constexpr int kWarpMaxD = 1024;                   // rows up to this length go a warp each
constexpr int kColumns = 32;                      // parameter-gradient kernel: columns per block
constexpr int kRowLanes = 8;                      //   and row lanes per column

// The optional affine parameters [d], each an untyped device pointer read at an element offset.
struct Affine {
    const void* weight;
    const void* bias;
    long long weight_offset;
    long long bias_offset;
    int weight_dtype;
    int bias_dtype;
};

__device__ __forceinline__ float weight_at(const Affine& p, int j) {
    return p.weight ? pn::load_float(p.weight, p.weight_dtype, p.weight_offset + j) : 1.0f;
}

// How a row is shared: a warp (lanes 0..31 stride 32, shuffle sums) or a block (threads stride blockDim.x,
// pn::block_sum over `partials`). Every thread of the group calls sum() with the same control flow.
struct WarpRow {
    int first, step;
    __device__ __forceinline__ float sum(float v) const { return pn::warp_sum(v); }
};

struct BlockRow {
    int first, step;
    float* partials;
    __device__ __forceinline__ float sum(float v) const { return pn::block_sum(v, partials); }
};

struct Stats {
    float m;      // first mean (0 for RMSNorm)
    float shift;  // mu - m = mean(x - m) (0 for RMSNorm)
    float inv;    // 1 / sqrt(var + eps)

    __device__ __forceinline__ float xhat(float v) const { return ((v - m) - shift) * inv; }
};

// The corrected two-pass statistics of the row xr [d] (see the file comment).
template <class Row>
__device__ __forceinline__ Stats row_stats(const Row& row, const float* xr, int d, float eps, int center) {
    float m = 0.0f;
    if (center) {
        float s = 0.0f;
        for (int j = row.first; j < d; j += row.step) s += xr[j];
        m = row.sum(s) / d;
    }
    float s1 = 0.0f, s2 = 0.0f;
    for (int j = row.first; j < d; j += row.step) {
        const float c = xr[j] - m;
        s1 += c;
        s2 += c * c;
    }
    s2 = row.sum(s2);
    const float shift = center ? row.sum(s1) / d : 0.0f;
    const float var = fmaxf(s2 / d - shift * shift, 0.0f);
    return Stats{m, shift, 1.0f / sqrtf(var + eps)};
}

template <class Row>
__device__ __forceinline__ void forward_row(const Row& row, const float* xr, float* yr, const Affine& p, int d,
                                            float eps, int center) {
    const Stats st = row_stats(row, xr, d, eps, center);
    for (int j = row.first; j < d; j += row.step) {
        float y = st.xhat(xr[j]) * weight_at(p, j);
        if (p.bias) y += pn::load_float(p.bias, p.bias_dtype, p.bias_offset + j);
        yr[j] = y;
    }
}

// dx of one row; also its statistics to stats_out [3] (by the group's first thread) when asked.
template <class Row>
__device__ __forceinline__ void backward_row(const Row& row, const float* dyr, const float* xr, float* dxr,
                                             float* stats_out, const Affine& p, int d, float eps, int center) {
    const Stats st = row_stats(row, xr, d, eps, center);
    float sg = 0.0f, sgx = 0.0f;
    for (int j = row.first; j < d; j += row.step) {
        const float g = dyr[j] * weight_at(p, j);
        sg += g;
        sgx += g * st.xhat(xr[j]);
    }
    const float mean_g = center ? row.sum(sg) / d : 0.0f;
    const float mean_gx = row.sum(sgx) / d;
    for (int j = row.first; j < d; j += row.step) {
        const float g = dyr[j] * weight_at(p, j);
        dxr[j] = st.inv * (g - mean_g - st.xhat(xr[j]) * mean_gx);
    }
    if (stats_out && row.first == 0) {
        stats_out[0] = st.m;
        stats_out[1] = st.shift;
        stats_out[2] = st.inv;
    }
}

__global__ void __launch_bounds__(kWarpThreads) norm_warp_kernel(const float* x, Affine p, float* out, int rows, int d,
                                                                float eps, int center) {
    const long long r = static_cast<long long>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
    if (r >= rows) return;                        // the whole warp leaves: no collective names it afterwards
    const WarpRow row{static_cast<int>(threadIdx.x & 31u), 32};
    forward_row(row, x + r * d, out + r * d, p, d, eps, center);
}

__global__ void __launch_bounds__(kBlockThreads) norm_block_kernel(const float* x, Affine p, float* out, int d, float eps,
                                                                  int center) {
    __shared__ float partials[32];
    const long long r = blockIdx.x;
    const BlockRow row{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x), partials};
    forward_row(row, x + r * d, out + r * d, p, d, eps, center);
}

__global__ void __launch_bounds__(kWarpThreads) norm_backward_warp_kernel(const float* dy, const float* x, Affine p,
                                                                         float* dx, float* stats, int rows, int d,
                                                                         float eps, int center) {
    const long long r = static_cast<long long>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
    if (r >= rows) return;
    const WarpRow row{static_cast<int>(threadIdx.x & 31u), 32};
    backward_row(row, dy + r * d, x + r * d, dx + r * d, stats ? stats + r * 3 : nullptr, p, d, eps, center);
}

__global__ void __launch_bounds__(kBlockThreads) norm_backward_block_kernel(const float* dy, const float* x, Affine p,
                                                                           float* dx, float* stats, int d, float eps,
                                                                           int center) {
    __shared__ float partials[32];
    const long long r = blockIdx.x;
    const BlockRow row{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x), partials};
    backward_row(row, dy + r * d, x + r * d, dx + r * d, stats ? stats + r * 3 : nullptr, p, d, eps, center);
}

// dweight[j] = sum_r dy[r, j] * xhat[r, j], dbias[j] = sum_r dy[r, j]; block (32, 8): thread (tx, ty) sums
// rows ty, ty + 8, ... of column blockIdx.x * 32 + tx (coalesced across tx), then row lane 0 adds the 8
// partials in order.
__global__ void __launch_bounds__(kColumns * kRowLanes) norm_param_grad_kernel(const float* dy, const float* x,
                                                                              const float* stats, float* dweight,
                                                                              float* dbias, int rows, int d) {
    __shared__ float wsum[kRowLanes][kColumns + 1];
    __shared__ float bsum[kRowLanes][kColumns + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int j = blockIdx.x * kColumns + tx;
    float aw = 0.0f, ab = 0.0f;
    if (j < d) {
        for (long long r = ty; r < rows; r += kRowLanes) {
            const float* s = stats + r * 3;                          // (m, shift, inv) of row r
            const float g = dy[r * d + j];
            aw += g * (((x[r * d + j] - s[0]) - s[1]) * s[2]);
            ab += g;
        }
    }
    wsum[ty][tx] = aw;
    bsum[ty][tx] = ab;
    __syncthreads();
    if (ty == 0 && j < d) {
        float w = 0.0f, b = 0.0f;
        for (int k = 0; k < kRowLanes; k++) {
            w += wsum[k][tx];
            b += bsum[k][tx];
        }
        if (dweight) dweight[j] = w;
        if (dbias) dbias[j] = b;
    }
}

bool valid(const Affine& p, int rows, int d) {
    return rows >= 0 && d >= 0 && p.weight_offset >= 0 && p.bias_offset >= 0
        && (!p.weight || pn::is_float_dtype(p.weight_dtype)) && (!p.bias || pn::is_float_dtype(p.bias_dtype));
}

unsigned warp_row_blocks(int rows) {
    return static_cast<unsigned>((static_cast<long long>(rows) + kRowsPerBlock - 1) / kRowsPerBlock);
}

int launch_norm(const float* x, const Affine& p, float* out, int rows, int d, float eps, int center, void* stream) {
    if (!valid(p, rows, d)) return cudaErrorInvalidValue;
    if (rows == 0 || d == 0) return cudaSuccess;
    if (x == nullptr || out == nullptr) return cudaErrorInvalidValue;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (d <= kWarpMaxD) {
        PN_LAUNCH(norm_warp_kernel, dim3(warp_row_blocks(rows)), dim3(kWarpThreads), 0, st)(x, p, out, rows, d, eps,
                                                                                          center);
    } else {
        PN_LAUNCH(norm_block_kernel, dim3(rows), dim3(kBlockThreads), 0, st)(x, p, out, d, eps, center);
    }
    return static_cast<int>(cudaGetLastError());
}

int launch_norm_backward(const float* dy, const float* x, const Affine& p, float* dx, float* dweight, float* dbias,
                         float* row_stats, int rows, int d, float eps, int center, void* stream) {
    if (!valid(p, rows, d)) return cudaErrorInvalidValue;
    if (d == 0) return cudaSuccess;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (rows == 0) {                              // sums over no rows: the parameter gradients are zero
        cudaError_t e = cudaSuccess;
        if (dweight) e = cudaMemsetAsync(dweight, 0, sizeof(float) * d, st);
        if (dbias && e == cudaSuccess) e = cudaMemsetAsync(dbias, 0, sizeof(float) * d, st);
        return static_cast<int>(e);
    }
    const bool params = dweight != nullptr || dbias != nullptr;
    if (dy == nullptr || x == nullptr || dx == nullptr || (params && row_stats == nullptr)) return cudaErrorInvalidValue;
    float* stats = params ? row_stats : nullptr;
    if (d <= kWarpMaxD) {
        PN_LAUNCH(norm_backward_warp_kernel, dim3(warp_row_blocks(rows)), dim3(kWarpThreads), 0, st)(
            dy, x, p, dx, stats, rows, d, eps, center);
    } else {
        PN_LAUNCH(norm_backward_block_kernel, dim3(rows), dim3(kBlockThreads), 0, st)(dy, x, p, dx, stats, d, eps,
                                                                                     center);
    }
    const cudaError_t rowError = cudaGetLastError();
    if (rowError != cudaSuccess || !params) return static_cast<int>(rowError);
    PN_LAUNCH(norm_param_grad_kernel, dim3((d + kColumns - 1) / kColumns), dim3(kColumns, kRowLanes), 0, st)(
        dy, x, stats, dweight, dbias, rows, d);
    return static_cast<int>(cudaGetLastError());
}

}  // namespace

extern "C" int pn_rms_norm(const float* x, const void* weight, int weight_dtype, long long weight_offset, float* out,
                           int rows, int d, float eps, void* stream) {
    const Affine p{weight, nullptr, weight_offset, 0, weight_dtype, PN_DTYPE_F32};
    return launch_norm(x, p, out, rows, d, eps, 0, stream);
}

extern "C" int pn_layer_norm(const float* x, const void* weight, int weight_dtype, long long weight_offset,
                             const void* bias, int bias_dtype, long long bias_offset, float* out, int rows, int d,
                             float eps, void* stream) {
    const Affine p{weight, bias, weight_offset, bias_offset, weight_dtype, bias_dtype};
    return launch_norm(x, p, out, rows, d, eps, 1, stream);
}

extern "C" int pn_rms_norm_backward(const float* dy, const float* x, const void* weight, int weight_dtype,
                                    long long weight_offset, float* dx, float* dweight, float* row_stats, int rows,
                                    int d, float eps, void* stream) {
    const Affine p{weight, nullptr, weight_offset, 0, weight_dtype, PN_DTYPE_F32};
    return launch_norm_backward(dy, x, p, dx, dweight, nullptr, row_stats, rows, d, eps, 0, stream);
}

extern "C" int pn_layer_norm_backward(const float* dy, const float* x, const void* weight, int weight_dtype,
                                      long long weight_offset, float* dx, float* dweight, float* dbias,
                                      float* row_stats, int rows, int d, float eps, void* stream) {
    const Affine p{weight, nullptr, weight_offset, 0, weight_dtype, PN_DTYPE_F32};
    return launch_norm_backward(dy, x, p, dx, dweight, dbias, row_stats, rows, d, eps, 1, stream);
}
