/*
 * cosine_topk.cu — fused (weighted, multi-modal) cosine similarity + masked top-k for prompt retrieval
 * (cosine_topk.h). One block of 128 threads per query; nothing but scores lives in shared memory, so neither the
 * number of keys nor the dimension is bounded by it:
 *  1. the M query norms |queries[m, q]| (block sums) go to shared memory;
 *  2. keys are processed in tiles of up to 2048: each warp takes keys j = warp, warp + 4, ... of the tile and,
 *     per modality, computes <q_m, key_mj> and |key_mj|^2 with lane-strided loops (q_m is re-read from global
 *     memory, where it stays in L1: d floats per modality) and a warp butterfly, and lane 0 stores the weighted
 *     score in the tile's shared-memory slots (-inf for a key the candidate mask forbids);
 *  3. selection merges the best k so far with the tile: slots [0, k) hold the best so far (ranked, with their
 *     key indices), slots [k, k + tile) the tile, and k rounds of a block arg-best with the rule "higher value,
 *     then lower slot" pick the winners into out_index / out_value; a taken slot becomes -inf. Slot order agrees
 *     with key order among equal values (earlier tiles hold lower keys, and the best-so-far list is ranked), so
 *     the rule is "higher value, then lower key index". -inf slots are never chosen; when none is left, the
 *     remaining outputs are -1 / -inf and the rounds stop. Before the next tile the winners are read back from
 *     out_* (this block's own global writes, ordered by __syncthreads) into slots [0, k).
 * Zero query or key -> cosine 0, never NaN. pn_cosine_topk is the same kernel with M = 1, weight 1, no mask.
 * Reference: weighted cosines in double + ReferenceBackend.topk (CosineTopkTest, WeightedCosineTopkTest).
 */
#include "cosine_topk.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kTile = 2048;                       // keys scored per tile
constexpr long long kMaxSmemBytes = 48 * 1024;
constexpr int kNone = 0x7fffffff;                 // arg-best identity index

long long smem_bytes(int M, int nk, int k) {
    const long long tile = nk < kTile ? nk : kTile;
    return 4LL * ((long long)M + 2LL * k + tile);
}

__global__ void __launch_bounds__(kThreads) weighted_cosine_topk_kernel(const float* queries, const float* keys,
                                                                        const float* weights, int M, int nq, int nk,
                                                                        int d, const unsigned char* mask, int k,
                                                                        int* out_index, float* out_value) {
    __shared__ float value_partials[32];
    __shared__ int index_partials[32];
    PN_DYN_SHARED(float, smem);
    const int tile = nk < kTile ? nk : kTile;
    float* qnorm = smem;                                       // [M]
    float* slot = smem + M;                                    // [k + tile]: best so far, then the tile
    int* best_key = reinterpret_cast<int*>(slot + k + tile);   // [k] key index of slots [0, k)
    const int query = blockIdx.x;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    int* idx_out = out_index + (long long)query * k;           // [k]
    float* val_out = out_value + (long long)query * k;         // [k]

    for (int m = 0; m < M; m++) {
        const float* q = queries + ((long long)m * nq + query) * d;   // [d]
        float qq = 0.0f;
        for (int i = threadIdx.x; i < d; i += blockDim.x) qq += q[i] * q[i];
        qq = pn::block_sum(qq, value_partials);
        if (threadIdx.x == 0) qnorm[m] = sqrtf(qq);
    }
    for (int i = threadIdx.x; i < k; i += blockDim.x) {
        slot[i] = -INFINITY;
        best_key[i] = -1;
    }
    __syncthreads();

    for (int t0 = 0;; t0 += tile) {                                       // once even for nk == 0
        const int tn = nk - t0 < tile ? nk - t0 : tile;
        for (int jj = warp; jj < tn; jj += kWarps) {
            const int j = t0 + jj;
            float score = -INFINITY;
            if (!mask || mask[(long long)query * nk + j]) {        // uniform over the warp
                score = 0.0f;
                for (int m = 0; m < M; m++) {
                    const float* q = queries + ((long long)m * nq + query) * d;   // [d]
                    const float* key = keys + ((long long)m * nk + j) * d;        // [d]
                    float dot = 0.0f, kk = 0.0f;
                    for (int i = lane; i < d; i += 32) {
                        dot += q[i] * key[i];
                        kk += key[i] * key[i];
                    }
                    dot = pn::warp_sum(dot);
                    kk = pn::warp_sum(kk);
                    const float cosine = (qnorm[m] > 0.0f && kk > 0.0f) ? dot / (qnorm[m] * sqrtf(kk)) : 0.0f;
                    score += (weights ? weights[m] : 1.0f) * cosine;
                }
            }
            if (lane == 0) slot[k + jj] = score;
        }
        __syncthreads();

        for (int r = 0; r < k; r++) {
            pn::ArgBest best{-INFINITY, kNone};
            for (int i = threadIdx.x; i < k + tn; i += blockDim.x) {
                if (slot[i] != -INFINITY && pn::better(slot[i], i, best)) best = pn::ArgBest{slot[i], i};
            }
            best = pn::block_argbest(best, value_partials, index_partials);   // same in all threads, then a barrier
            if (best.index == kNone) {                                        // nothing selectable is left
                for (int i = r + threadIdx.x; i < k; i += blockDim.x) {
                    idx_out[i] = -1;
                    val_out[i] = -INFINITY;
                }
                break;
            }
            if (threadIdx.x == 0) {
                idx_out[r] = best.index < k ? best_key[best.index] : t0 + best.index - k;
                val_out[r] = best.value;
                slot[best.index] = -INFINITY;
            }
            __syncthreads();
        }
        __syncthreads();                                                      // out_* complete before reading back
        if (t0 + tile >= nk) break;
        for (int i = threadIdx.x; i < k; i += blockDim.x) {
            slot[i] = val_out[i];
            best_key[i] = idx_out[i];
        }
        __syncthreads();
    }
}

int launch(const float* queries, const float* keys, const float* weights, int M, int nq, int nk, int d,
           const unsigned char* mask, int k, int* out_index, float* out_value, void* stream) {
    const long long smem = smem_bytes(M, nk, k);
    if (M < 1 || nq < 0 || nk < 0 || d < 1 || k < 1 || smem > kMaxSmemBytes) return cudaErrorInvalidValue;
    if (nq == 0) return cudaSuccess;
    if (!queries || !out_index || !out_value || (nk > 0 && !keys)) return cudaErrorInvalidValue;
    PN_LAUNCH(weighted_cosine_topk_kernel, dim3(nq), dim3(kThreads), static_cast<size_t>(smem),
              static_cast<cudaStream_t>(stream))(queries, keys, weights, M, nq, nk, d, mask, k, out_index, out_value);
    return static_cast<int>(cudaGetLastError());
}

}  // namespace

extern "C" int pn_cosine_topk(const float* queries, const float* keys, int nq, int nk, int d, int k, int* out_index,
                              float* out_value, void* stream) {
    if (nk < 1 || k > nk) return cudaErrorInvalidValue;
    return launch(queries, keys, nullptr, 1, nq, nk, d, nullptr, k, out_index, out_value, stream);
}

extern "C" int pn_weighted_cosine_topk(const float* queries, const float* keys, const float* weights, int M, int nq,
                                       int nk, int d, const unsigned char* candidate_mask, int k, int* out_index,
                                       float* out_value, void* stream) {
    return launch(queries, keys, weights, M, nq, nk, d, candidate_mask, k, out_index, out_value, stream);
}
