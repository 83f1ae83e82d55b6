/*
 * pn_block_reduce.cuh — block-wide reductions shared by the row kernels (softmax_rows, cosine_topk):
 * a warp butterfly with __shfl_xor_sync, per-warp partials in shared memory, and a second butterfly that every
 * warp runs on those partials, so all threads of the block get the result without an extra broadcast.
 * Requirements: blockDim.x a multiple of 32 and at most 1024, blockDim.y = blockDim.z = 1, and every thread of
 * the block calls the reduction (it contains __syncthreads()). `partials` is a __shared__ array of 32 entries;
 * it may be reused right after the call returns (the trailing barrier protects it).
 */
#ifndef PN_BLOCK_REDUCE_CUH
#define PN_BLOCK_REDUCE_CUH

#include "perennial_compat.h"

namespace pn {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
    return v;
}

// Sum over the block; identical result in every thread.
__device__ __forceinline__ float block_sum(float v, float* partials /* [32] */) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    const unsigned nwarps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = warp_sum(lane < nwarps ? partials[lane] : 0.0f);
    __syncthreads();
    return v;
}

// Max over the block; identical result in every thread. -INFINITY is the identity.
__device__ __forceinline__ float block_max(float v, float* partials /* [32] */) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    const unsigned nwarps = blockDim.x >> 5;
    v = warp_max(v);
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = warp_max(lane < nwarps ? partials[lane] : -INFINITY);
    __syncthreads();
    return v;
}

// (value, index) pair ordered by "higher value, then lower index" (the project's top-k tie rule).
struct ArgBest {
    float value;
    int index;
};

__device__ __forceinline__ bool better(float v, int i, ArgBest b) {
    return v > b.value || (v == b.value && i < b.index);
}

__device__ __forceinline__ ArgBest warp_argbest(ArgBest b) {
    for (int o = 16; o > 0; o >>= 1) {
        const float v = __shfl_xor_sync(kFullMask, b.value, o);
        const int i = __shfl_xor_sync(kFullMask, b.index, o);
        if (better(v, i, b)) b = ArgBest{v, i};
    }
    return b;
}

// Best (value, index) over the block; identical result in every thread. Identity: {-INFINITY, INT_MAX}.
__device__ __forceinline__ ArgBest block_argbest(ArgBest b, float* value_partials /* [32] */, int* index_partials /* [32] */) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    const unsigned nwarps = blockDim.x >> 5;
    b = warp_argbest(b);
    if (lane == 0) {
        value_partials[warp] = b.value;
        index_partials[warp] = b.index;
    }
    __syncthreads();
    b = lane < nwarps ? ArgBest{value_partials[lane], index_partials[lane]} : ArgBest{-INFINITY, 0x7fffffff};
    b = warp_argbest(b);
    __syncthreads();
    return b;
}

}  // namespace pn

#endif
