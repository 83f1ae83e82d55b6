/*
 * norms.cu — RMSNorm and LayerNorm over the rows of a contiguous [rows, d] float32 matrix (norms.h). Both are
 * one kernel: y = (x - mu) * rsqrt(var + eps) * w + b with mu = 0 and var = mean(x^2) (RMSNorm) or the row
 * mean and biased variance (LayerNorm, `center`), so the two ops share their reductions and their tests.
 *
 * Statistics: corrected two-pass in fp32 (Chan, Golub & LeVeque 1983). Pass 1 sums x for a first mean m
 * (LayerNorm only); pass 2 sums c = x - m and c^2 in the same sweep; then mu = m + sum(c)/d and
 * var = max(sum(c^2)/d - (sum(c)/d)^2, 0); pass 3 writes y = ((x - m) - sum(c)/d) * rsqrt(var + eps) * w + b
 * (mu itself is never rounded to float: at |mu| = 100 that alone would cost 3.8e-6 in x - mu). The correction
 * removes the rounding error of the float mean to first order, which matters when |mean| >> std, and makes a
 * constant row exact: c is then exactly x - m (Sterbenz), sum(c)/d exactly c, var 0 and y the bias — no NaN,
 * no eps-amplified noise. Chosen over Welford: the same
 * accuracy with plain sums instead of a division per element and a three-value merge per shuffle step, and no
 * dependence on how the row is split among threads beyond summation order. The repeated reads of a row
 * (d * 4 bytes, 16 KiB at d = 4096) hit L1/L2 right after the first, so DRAM traffic stays ~one read of x plus
 * one write of y.
 * Tiling: d <= 1024 -> a warp per row, 4 rows per 128-thread block, warp-shuffle reductions only (no barrier;
 * a warp whose row is past the end exits as a whole); d > 1024 -> a 256-thread block per row with
 * pn::block_sum. Weight/bias are read through pn::load_float, so F16/BF16 parameters need no conversion.
 * Reference: ReferenceBackend.rmsNorm/layerNorm (double accumulation), tests in native/ (NormsTest).
 */
#include "norms.h"
#include "pn_block_reduce.cuh"
#include "pn_half.cuh"

namespace {

constexpr int kWarpThreads = 128;                 // warp-per-row kernel: 4 rows per block
constexpr int kRowsPerBlock = kWarpThreads / 32;
constexpr int kBlockThreads = 256;                // block-per-row kernel
constexpr int kWarpMaxD = 1024;                   // rows up to this length go a warp each

// The optional affine parameters [d], each an untyped device pointer read at an element offset.
struct Affine {
    const void* weight;
    const void* bias;
    long long weight_offset;
    long long bias_offset;
    int weight_dtype;
    int bias_dtype;
};

struct Stats {
    float m;      // first mean (0 for RMSNorm)
    float shift;  // mu - m = mean(x - m) (0 for RMSNorm)
    float inv;    // 1 / sqrt(var + eps)
};

// From the first mean m and the sums s1 = sum(x - m), s2 = sum((x - m)^2) over the d elements of a row. For
// RMSNorm m = s1 = 0 and var = mean(x^2).
__device__ __forceinline__ Stats stats(float m, float s1, float s2, int d, float eps) {
    const float shift = s1 / d;
    const float var = fmaxf(s2 / d - shift * shift, 0.0f);
    return Stats{m, shift, 1.0f / sqrtf(var + eps)};
}

// y_j = ((x_j - m) - shift) * inv * w_j + b_j: subtracting m first is exact for x near m (Sterbenz), so the
// centred value does not inherit the rounding of a float mu = m + shift (half an ulp of |mu|: 3.8e-6 at 100).
__device__ __forceinline__ float affine(float v, const Stats& st, const Affine& p, int j) {
    float y = ((v - st.m) - st.shift) * st.inv;
    if (p.weight) y *= pn::load_float(p.weight, p.weight_dtype, p.weight_offset + j);
    if (p.bias) y += pn::load_float(p.bias, p.bias_dtype, p.bias_offset + j);
    return y;
}

__global__ void __launch_bounds__(kWarpThreads) norm_warp_kernel(const float* x, Affine p, float* out, int rows, int d,
                                                                float eps, int center) {
    const unsigned lane = threadIdx.x & 31u;
    const long long row = static_cast<long long>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
    if (row >= rows) return;                      // the whole warp leaves: no collective names it afterwards
    const float* xr = x + row * d;                // [d]
    float* yr = out + row * d;                    // [d]
    float m = 0.0f;
    if (center) {
        float s = 0.0f;
        for (int j = lane; j < d; j += 32) s += xr[j];
        m = pn::warp_sum(s) / d;
    }
    float s1 = 0.0f, s2 = 0.0f;
    for (int j = lane; j < d; j += 32) {
        const float c = xr[j] - m;
        s1 += c;
        s2 += c * c;
    }
    s2 = pn::warp_sum(s2);
    const Stats st = stats(m, center ? pn::warp_sum(s1) : 0.0f, s2, d, eps);
    for (int j = lane; j < d; j += 32) yr[j] = affine(xr[j], st, p, j);
}

__global__ void __launch_bounds__(kBlockThreads) norm_block_kernel(const float* x, Affine p, float* out, int d, float eps,
                                                                  int center) {
    __shared__ float partials[32];
    const long long row = blockIdx.x;
    const float* xr = x + row * d;                // [d]
    float* yr = out + row * d;                    // [d]
    float m = 0.0f;
    if (center) {
        float s = 0.0f;
        for (int j = threadIdx.x; j < d; j += blockDim.x) s += xr[j];
        m = pn::block_sum(s, partials) / d;
    }
    float s1 = 0.0f, s2 = 0.0f;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        const float c = xr[j] - m;
        s1 += c;
        s2 += c * c;
    }
    s2 = pn::block_sum(s2, partials);
    const Stats st = stats(m, center ? pn::block_sum(s1, partials) : 0.0f, s2, d, eps);
    for (int j = threadIdx.x; j < d; j += blockDim.x) yr[j] = affine(xr[j], st, p, j);
}

int launch_norm(const float* x, const Affine& p, float* out, int rows, int d, float eps, int center, void* stream) {
    if (rows < 0 || d < 0 || p.weight_offset < 0 || p.bias_offset < 0) return cudaErrorInvalidValue;
    if ((p.weight && !pn::is_float_dtype(p.weight_dtype)) || (p.bias && !pn::is_float_dtype(p.bias_dtype))) {
        return cudaErrorInvalidValue;
    }
    if (rows == 0 || d == 0) return cudaSuccess;
    if (x == nullptr || out == nullptr) return cudaErrorInvalidValue;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (d <= kWarpMaxD) {
        const unsigned blocks = static_cast<unsigned>((static_cast<long long>(rows) + kRowsPerBlock - 1) / kRowsPerBlock);
        PN_LAUNCH(norm_warp_kernel, dim3(blocks), dim3(kWarpThreads), 0, st)(x, p, out, rows, d, eps, center);
    } else {
        PN_LAUNCH(norm_block_kernel, dim3(rows), dim3(kBlockThreads), 0, st)(x, p, out, d, eps, center);
    }
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
