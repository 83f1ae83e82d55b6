/*
 * pn_online_softmax.cuh — one-pass ("online") softmax statistics of a row of logits, shared by the score kernels
 * (token_scores.cu) and the loss (cross_entropy.cu), so the probabilities p_v = e^{x_v - lse} are never stored.
 *
 * A running state over the values seen so far keeps their maximum m and sums relative to it; when a larger value
 * arrives the sums are rescaled by e^{m_old - m_new}. Two states merge the same way, so every thread folds its
 * strided part of the row and the block merges the states (warp butterfly, then per-warp partials).
 *   OnlineLse:     s  = sum e^{x - m}                           -> lse = m + ln s
 *   OnlineMoments: s0 = sum e^{x - m}
 *                  s1 = sum e^{x - m} (x - m)                   -> sum_v p_v x_v = m + s1 / s0
 *                  s2 = sum over v != t of e^{2 (x_v - m)}      -> sum_{v != t} p_v^2 = s2 / s0^2
 * s1 is kept relative to m (a shift of m by D adds -D s0 to it) so that entropy = ln s0 - s1 / s0 never subtracts
 * two numbers of the size of the logits (|x| = 1e4 would cost ~1e-3 absolute otherwise). s2 leaves out the
 * target t so that EL2N^2 = (1 - p_t)^2 + s2 / s0^2 is a sum of two non-negative terms instead of the
 * cancellation 1 - 2 p_t + sum p^2 (which loses everything below ~1e-7 when p_t is close to 1).
 *
 * Values: -inf entries contribute nothing (masked vocabulary); a NaN makes the sums NaN; +inf is not supported
 * (the result is NaN or inf, as with a two-pass softmax). A state that has seen no finite value has m = -inf.
 * The block merges need blockDim.x a multiple of 32 (at most 1024), all threads calling them (they contain
 * __syncthreads()), and give the merged state in thread 0 (other threads may differ in the last bit because
 * the compiler may contract the merge formula into FMAs differently per operand order; read it in thread 0).
 */
#ifndef PN_ONLINE_SOFTMAX_CUH
#define PN_ONLINE_SOFTMAX_CUH

#include "perennial_compat.h"

namespace pn {

struct OnlineLse {
    float m, s;
};

__device__ __forceinline__ OnlineLse lse_empty() { return OnlineLse{-INFINITY, 0.0f}; }

__device__ __forceinline__ void lse_push(OnlineLse& o, float x) {
    if (x > o.m) {
        o.s = o.s * __expf(o.m - x) + 1.0f;       // the new maximum contributes e^0
        o.m = x;
    } else if (x != -INFINITY) {
        o.s += __expf(x - o.m);                   // NaN x (or NaN m never happens) -> NaN sum
    }
}

__device__ __forceinline__ OnlineLse lse_merge(OnlineLse a, OnlineLse b) {
    const float m = fmaxf(a.m, b.m);
    if (m == -INFINITY) return OnlineLse{m, a.s + b.s};
    return OnlineLse{m, a.s * __expf(a.m - m) + b.s * __expf(b.m - m)};
}

__device__ __forceinline__ OnlineLse warp_lse(OnlineLse o) {
    for (int k = 16; k > 0; k >>= 1) {
        const OnlineLse other{__shfl_xor_sync(0xffffffffu, o.m, k), __shfl_xor_sync(0xffffffffu, o.s, k)};
        o = lse_merge(o, other);
    }
    return o;
}

// The merged state of the whole block, valid in thread 0. partials: __shared__ float[2 * 32].
__device__ __forceinline__ OnlineLse block_lse(OnlineLse o, float* partials) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    o = warp_lse(o);
    if (lane == 0) {
        partials[2 * warp] = o.m;
        partials[2 * warp + 1] = o.s;
    }
    __syncthreads();
    o = lane < nwarps ? OnlineLse{partials[2 * lane], partials[2 * lane + 1]} : lse_empty();
    o = warp_lse(o);
    __syncthreads();
    return o;
}

struct OnlineMoments {
    float m, s0, s1, s2;
};

__device__ __forceinline__ OnlineMoments moments_empty() { return OnlineMoments{-INFINITY, 0.0f, 0.0f, 0.0f}; }

// Adds value x of the row; target says whether x is the target logit (left out of s2).
__device__ __forceinline__ void moments_push(OnlineMoments& o, float x, bool target) {
    if (x > o.m) {
        const float d = o.m - x;                                  // < 0; -inf while the state is empty
        const float a = __expf(d);
        o.s1 = a * (o.s1 + (o.m == -INFINITY ? 0.0f : o.s0 * d));
        o.s0 = a * o.s0 + 1.0f;
        o.s2 = a * a * o.s2 + (target ? 0.0f : 1.0f);
        o.m = x;
    } else if (x != -INFINITY) {
        const float d = x - o.m;
        const float e = __expf(d);
        o.s0 += e;
        o.s1 += e * d;
        if (!target) o.s2 += e * e;
    }
}

__device__ __forceinline__ OnlineMoments moments_merge(OnlineMoments a, OnlineMoments b) {
    const float m = fmaxf(a.m, b.m);
    if (m == -INFINITY) return OnlineMoments{m, a.s0 + b.s0, a.s1 + b.s1, a.s2 + b.s2};
    const float da = a.m - m, db = b.m - m;                       // <= 0; -inf for an empty state
    const float fa = __expf(da), fb = __expf(db);
    const float ta = a.m == -INFINITY ? 0.0f : a.s0 * da, tb = b.m == -INFINITY ? 0.0f : b.s0 * db;
    return OnlineMoments{m, fa * a.s0 + fb * b.s0, fa * (a.s1 + ta) + fb * (b.s1 + tb),
                         fa * fa * a.s2 + fb * fb * b.s2};
}

__device__ __forceinline__ OnlineMoments warp_moments(OnlineMoments o) {
    for (int k = 16; k > 0; k >>= 1) {
        const OnlineMoments other{__shfl_xor_sync(0xffffffffu, o.m, k), __shfl_xor_sync(0xffffffffu, o.s0, k),
                                  __shfl_xor_sync(0xffffffffu, o.s1, k), __shfl_xor_sync(0xffffffffu, o.s2, k)};
        o = moments_merge(o, other);
    }
    return o;
}

// The merged state of the whole block, valid in thread 0. partials: __shared__ float[4 * 32].
__device__ __forceinline__ OnlineMoments block_moments(OnlineMoments o, float* partials) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    o = warp_moments(o);
    if (lane == 0) {
        partials[4 * warp] = o.m;
        partials[4 * warp + 1] = o.s0;
        partials[4 * warp + 2] = o.s1;
        partials[4 * warp + 3] = o.s2;
    }
    __syncthreads();
    o = lane < nwarps ? OnlineMoments{partials[4 * lane], partials[4 * lane + 1], partials[4 * lane + 2],
                                      partials[4 * lane + 3]}
                      : moments_empty();
    o = warp_moments(o);
    __syncthreads();
    return o;
}

}  // namespace pn

#endif
