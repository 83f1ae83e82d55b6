/*
 * token_scores.cu — ADAPT-∞ scorers from logits (token_scores.h; docs/methods/adapt-inf.md §4).
 *
 * token_scores_kernel: one block of 128 threads per row of logits, ONE pass over the row. Each thread folds its
 * strided elements (coalesced: consecutive threads read consecutive logits) into an online-softmax state (m, s0,
 * s1, s2) (pn_online_softmax.cuh), the block merges the 128 states, and thread 0 turns the merged state and the
 * target logit into nll, entropy and EL2N. Nothing of size V is written, so the kernel reads 4 V bytes per row and
 * writes 12; the rows are independent, so N blocks fill the GPU for any realistic batch (N = tokens).
 * Why online and not two passes (max, then sums): the row is read once instead of twice (the kernel is memory
 * bound: ~2 exp-free FLOPs + 1 exp per 4 bytes). The state's sums are kept relative to the running max and s2
 * leaves the target out, so entropy and EL2N have no catastrophic cancellation (see pn_online_softmax.cuh).
 *
 * sample_scores_kernel: one block of 128 threads per sample, threads stride over the sample's rows and the
 * block sums six partial results (five float sums and the int count). Segments are short (hundreds to a few
 * thousand tokens), so one block per sample is plenty.
 * References: dev.perennial.select.TokenScores (core; double-accumulation reference and fast CPU path), tested
 * against each other in native/ (TokenScoresTest).
 */
#include "token_scores.h"
#include "pn_block_reduce.cuh"
#include "pn_online_softmax.cuh"

namespace {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads) token_scores_kernel(const float* logits, const int* targets, int V,
                                                                int ignore_index, float* nll, float* entropy,
                                                                float* el2n) {
    __shared__ float partials[4 * 32];
    const long long row = blockIdx.x;
    const float* x = logits + row * V;                                     // [V]
    const int t = targets[row];

    pn::OnlineMoments o = pn::moments_empty();
    for (int j = threadIdx.x; j < V; j += blockDim.x) pn::moments_push(o, x[j], j == t);
    o = pn::block_moments(o, partials);
    if (threadIdx.x != 0) return;

    const float log_s0 = logf(o.s0);                                       // lse = m + log_s0
    if (entropy) entropy[row] = log_s0 - o.s1 / o.s0;
    float row_nll = 0.0f, row_el2n = 0.0f;
    if (t != ignore_index) {
        if (t < 0 || t >= V) {
            row_nll = row_el2n = NAN;                                      // documented: invalid target
        } else {
            row_nll = (o.m - x[t]) + log_s0;
            const float one_minus_pt = -expm1f(-row_nll);                  // 1 - p_t without cancellation
            row_el2n = sqrtf(one_minus_pt * one_minus_pt + o.s2 / (o.s0 * o.s0));
        }
    }
    if (nll) nll[row] = row_nll;
    if (el2n) el2n[row] = row_el2n;
}

// Sum over the block of an int, valid in every thread. partials: __shared__ int[32].
__device__ __forceinline__ int block_sum_int(int v, int* partials) {
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    for (int k = 16; k > 0; k >>= 1) v += __shfl_xor_sync(pn::kFullMask, v, k);
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = lane < nwarps ? partials[lane] : 0;
    for (int k = 16; k > 0; k >>= 1) v += __shfl_xor_sync(pn::kFullMask, v, k);
    __syncthreads();
    return v;
}

__device__ __forceinline__ float mean_or_nan(float sum, int n) { return n > 0 ? sum / static_cast<float>(n) : NAN; }

__global__ void __launch_bounds__(kThreads) sample_scores_kernel(const float* nll, const float* entropy,
                                                                 const float* el2n, const int* targets,
                                                                 const int* offsets, int ignore_index,
                                                                 float* mean_nll, float* mean_exp_nll,
                                                                 float* mean_el2n, float* entropy_all,
                                                                 float* entropy_resp, int* count) {
    __shared__ float partials[32];
    __shared__ int int_partials[32];
    const int s = blockIdx.x;
    const int begin = offsets[s], end = offsets[s + 1];
    const bool want_nll = mean_nll || mean_exp_nll, want_entropy = entropy_all || entropy_resp;

    float sum_nll = 0.0f, sum_exp = 0.0f, sum_el2n = 0.0f, sum_ent_all = 0.0f, sum_ent_resp = 0.0f;
    int n = 0;
    for (int r = begin + threadIdx.x; r < end; r += blockDim.x) {
        const bool supervised = targets[r] != ignore_index;
        if (want_entropy) {
            const float e = entropy[r];
            sum_ent_all += e;
            if (supervised) sum_ent_resp += e;
        }
        if (!supervised) continue;
        n++;
        if (want_nll) {
            const float l = nll[r];
            sum_nll += l;
            sum_exp += expf(l);
        }
        if (mean_el2n) sum_el2n += el2n[r];
    }
    n = block_sum_int(n, int_partials);
    sum_nll = pn::block_sum(sum_nll, partials);
    sum_exp = pn::block_sum(sum_exp, partials);
    sum_el2n = pn::block_sum(sum_el2n, partials);
    sum_ent_all = pn::block_sum(sum_ent_all, partials);
    sum_ent_resp = pn::block_sum(sum_ent_resp, partials);
    if (threadIdx.x != 0) return;

    const int rows = end > begin ? end - begin : 0;
    if (mean_nll) mean_nll[s] = mean_or_nan(sum_nll, n);
    if (mean_exp_nll) mean_exp_nll[s] = mean_or_nan(sum_exp, n);
    if (mean_el2n) mean_el2n[s] = mean_or_nan(sum_el2n, n);
    if (entropy_resp) entropy_resp[s] = mean_or_nan(sum_ent_resp, n);
    if (entropy_all) entropy_all[s] = mean_or_nan(sum_ent_all, rows);
    if (count) count[s] = n;
}

}  // namespace

extern "C" int pn_token_scores(const float* logits, const int* targets, int N, int V, int ignore_index, float* nll,
                               float* entropy, float* el2n, void* stream) {
    if (N < 0 || (N > 0 && (V < 1 || !logits || !targets))) return cudaErrorInvalidValue;
    if (N == 0) return cudaSuccess;
    PN_LAUNCH(token_scores_kernel, dim3(N), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        logits, targets, V, ignore_index, nll, entropy, el2n);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_sample_scores(const float* nll, const float* entropy, const float* el2n, const int* targets,
                                const int* offsets, int S, int ignore_index, float* mean_nll, float* mean_exp_nll,
                                float* mean_el2n, float* entropy_all, float* entropy_resp, int* count,
                                void* stream) {
    if (S < 0) return cudaErrorInvalidValue;
    if (S == 0) return cudaSuccess;
    if (!targets || !offsets || (!nll && (mean_nll || mean_exp_nll)) || (!el2n && mean_el2n)
            || (!entropy && (entropy_all || entropy_resp))) {
        return cudaErrorInvalidValue;
    }
    PN_LAUNCH(sample_scores_kernel, dim3(S), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        nll, entropy, el2n, targets, offsets, ignore_index, mean_nll, mean_exp_nll, mean_el2n, entropy_all,
        entropy_resp, count);
    return static_cast<int>(cudaGetLastError());
}
