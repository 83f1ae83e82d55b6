/*
 * bf16x3.cu — the exact three-term bfloat16 split of float32 values and the sum of the three partial products
 * (bf16x3.h). Both are grid-stride loops of 256 threads over contiguous arrays, at most 8192 blocks: pure data
 * movement (split: read 4 B, write 6 B per element; sum: read 12 B, write 4 B), memory-bound.
 * The split uses integer bit operations and two float subtractions that are exact by construction, so the
 * emulated device (g++) and a GPU give the same bits. Reference: Half and the exact sum in double (native/
 * Bf16x3Test).
 */
#include "bf16x3.h"
#include "perennial_compat.h"

namespace {

constexpr int kThreads = 256;
constexpr long long kMaxBlocks = 8192;

__device__ __forceinline__ unsigned short upper_bits(float f) { return static_cast<unsigned short>(__float_as_uint(f) >> 16); }

__device__ __forceinline__ float widen(unsigned short b) { return __uint_as_float(static_cast<unsigned>(b) << 16); }

__global__ void __launch_bounds__(kThreads) bf16x3_split_kernel(const float* x, long long n, unsigned short* parts) {
    for (long long i = (long long)blockIdx.x * kThreads + threadIdx.x; i < n; i += (long long)gridDim.x * kThreads) {
        const float v = x[i];
        const unsigned u = __float_as_uint(v);
        unsigned short hi, mid = 0, lo = 0;
        if ((u & 0x7f800000u) == 0x7f800000u) {              // Inf / NaN: carried by hi alone
            hi = static_cast<unsigned short>((u >> 16) | ((u & 0x7fffffu) != 0 ? 0x40u : 0u));
        } else {
            hi = upper_bits(v);
            const float r1 = v - widen(hi);                     // exact: the low 16 bits of v
            mid = upper_bits(r1);
            lo = upper_bits(r1 - widen(mid));                   // exact, and fits in 8 significant bits
        }
        parts[i] = hi;
        parts[n + i] = mid;
        parts[2 * n + i] = lo;
    }
}

__global__ void __launch_bounds__(kThreads) bf16x3_sum_kernel(const float* products, long long n, float* out) {
    for (long long i = (long long)blockIdx.x * kThreads + threadIdx.x; i < n; i += (long long)gridDim.x * kThreads) {
        out[i] = (products[2 * n + i] + products[n + i]) + products[i];
    }
}

dim3 grid_for(long long n) {
    const long long blocks = (n + kThreads - 1) / kThreads;
    return dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace

extern "C" int pn_bf16x3_split(const float* x, long long n, void* parts, void* stream) {
    if (n < 0 || (n > 0 && (x == nullptr || parts == nullptr))) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    PN_LAUNCH(bf16x3_split_kernel, grid_for(n), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
            x, n, static_cast<unsigned short*>(parts));
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_bf16x3_sum(const float* products, long long n, float* out, void* stream) {
    if (n < 0 || (n > 0 && (products == nullptr || out == nullptr))) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    PN_LAUNCH(bf16x3_sum_kernel, grid_for(n), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(products, n, out);
    return static_cast<int>(cudaGetLastError());
}
