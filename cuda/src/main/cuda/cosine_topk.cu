/*
 * cosine_topk.cu — fused cosine similarity + top-k for prompt-pool retrieval (cosine_topk.h). One block of 128
 * threads per query: the query is staged in dynamic shared memory with its squared norm (block sum), each warp
 * then takes keys j = warp, warp + 4, ... and computes <q, key> and |key|^2 with lane-strided loops and a warp
 * butterfly, writing sim[j] to shared memory; finally k rounds of a block arg-best with the tie rule
 * "higher value, then lower index" pick the winners, and a taken entry is set to -inf (similarities are in
 * [-1, 1], so it can never win again while k <= nk). Zero query or key -> similarity 0, never NaN.
 * Reference: cosine similarities in double + ReferenceBackend.topk (tests in native/, CosineTopkTest).
 */
#include "cosine_topk.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr long long kMaxSmemBytes = 48 * 1024;

__global__ void __launch_bounds__(kThreads) cosine_topk_kernel(const float* queries, const float* keys, int nk, int d,
                                                               int k, int* out_index, float* out_value) {
    __shared__ float value_partials[32];
    __shared__ int index_partials[32];
    PN_DYN_SHARED(float, smem);
    float* q = smem;              // [d]
    float* sim = smem + d;        // [nk]
    const long long query = blockIdx.x;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;

    float qq = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        const float v = queries[query * d + i];
        q[i] = v;
        qq += v * v;
    }
    qq = pn::block_sum(qq, value_partials);                                // also the barrier after staging q
    const float qnorm = sqrtf(qq);

    for (int j = warp; j < nk; j += kWarps) {
        const float* key = keys + (long long)j * d;                        // [d]
        float dot = 0.0f, kk = 0.0f;
        for (int i = lane; i < d; i += 32) {
            dot += q[i] * key[i];
            kk += key[i] * key[i];
        }
        dot = pn::warp_sum(dot);
        kk = pn::warp_sum(kk);
        if (lane == 0) sim[j] = (qq > 0.0f && kk > 0.0f) ? dot / (qnorm * sqrtf(kk)) : 0.0f;
    }
    __syncthreads();

    for (int r = 0; r < k; r++) {
        pn::ArgBest best{-INFINITY, 0x7fffffff};
        for (int j = threadIdx.x; j < nk; j += blockDim.x) {
            if (pn::better(sim[j], j, best)) best = pn::ArgBest{sim[j], j};
        }
        best = pn::block_argbest(best, value_partials, index_partials);   // ends with a barrier: all have read sim
        if (threadIdx.x == 0) {
            out_index[query * k + r] = best.index;
            out_value[query * k + r] = best.value;
            sim[best.index] = -INFINITY;
        }
        __syncthreads();
    }
}

}  // namespace

extern "C" int pn_cosine_topk(const float* queries, const float* keys, int nq, int nk, int d, int k, int* out_index,
                              float* out_value, void* stream) {
    const long long smem = ((long long)d + nk) * (long long)sizeof(float);
    if (nq < 0 || nk < 1 || d < 1 || k < 1 || k > nk || smem > kMaxSmemBytes) return cudaErrorInvalidValue;
    if (nq == 0) return cudaSuccess;
    PN_LAUNCH(cosine_topk_kernel, dim3(nq), dim3(kThreads), static_cast<size_t>(smem), static_cast<cudaStream_t>(stream))(
        queries, keys, nk, d, k, out_index, out_value);
    return static_cast<int>(cudaGetLastError());
}
