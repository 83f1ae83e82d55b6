/*
 * dropout.cu — the inverted-dropout mask of a seed (dropout.h): one grid-stride pass, each element's uniform
 * draw computed from its index alone (SplittableRandom's closed form), so the mask needs no generator state and
 * is made where it is used instead of being drawn on the host and copied in every step. Unsigned 64-bit
 * arithmetic gives Java's wrapping long semantics. Reference: tensor.DropoutMask (DropoutMaskTest in native/).
 */
#include "dropout.h"
#include "perennial_compat.h"

#include <climits>

namespace {

constexpr int kThreads = 256;
constexpr long long kMaxBlocks = 8192;

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

__global__ void __launch_bounds__(kThreads) dropout_kernel(unsigned long long seed, float p, float keep, int n,
                                                           float* out) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const unsigned long long state = seed + (static_cast<unsigned long long>(i) + 1ull) * 0x9e3779b97f4a7c15ull;
        const double u = static_cast<double>(mix64(state) >> 11) * 0x1.0p-53;
        out[i] = u >= static_cast<double>(p) ? keep : 0.0f;
    }
}

}  // namespace

extern "C" int pn_dropout_mask(long long seed, float p, float keep, long long n, float* out, void* stream) {
    if (n < 0 || n > INT_MAX || !(p >= 0.0f && p < 1.0f)) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    if (out == nullptr) return cudaErrorInvalidValue;
    const long long blocks = (n + kThreads - 1) / kThreads;
    PN_LAUNCH(dropout_kernel, dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks)), dim3(kThreads), 0,
              static_cast<cudaStream_t>(stream))(static_cast<unsigned long long>(seed), p, keep, static_cast<int>(n), out);
    return static_cast<int>(cudaGetLastError());
}
