/*
 * cosine_topk.h — C ABI of the prompt-retrieval kernels (cosine_topk.cu): for every query the k keys with the
 * highest (weighted) cosine similarity, ordered by "higher value, then lower index" (Backend.topk's rule).
 * cos(a, b) = <a, b> / (|a| |b|), and 0 when either vector is zero (no NaN). All pointers are contiguous device
 * pointers (host pointers on the emulated device).
 *
 * pn_weighted_cosine_topk — ModalPrompt's dual-modality selection (docs/methods/modalprompt.md §5.1) and its M-modality
 * generalisation: M modalities sharing the dimension d, queries [M, nq, d], keys [M, nk, d], weights [M]
 * (e.g. 0.5, 0.5; null means every weight is 1),
 *   score[q, j] = sum_m weights[m] * cos(queries[m, q], keys[m, j])
 * candidate_mask [nq, nk] uint8 (nonzero = key j may be chosen for query q) or null (all may). Per query the k
 * best allowed keys -> out_index [nq, k] int32, out_value [nq, k] float32; when fewer than k keys are allowed
 * (k > nk included) the remaining slots get index -1 and value -INFINITY. Inputs must be finite (a NaN score is
 * treated as not selectable, like a masked key).
 * Limits: M >= 1, d >= 1, k >= 1, nk >= 0, and 4 * (M + 2 k + min(nk, 2048)) bytes of dynamic shared memory
 * within 48 KiB (e.g. k <= 4096 for M <= 1024); nk and d are otherwise unlimited (keys are processed in tiles
 * of 2048).
 *
 * pn_cosine_topk — the single-modality case (M = 1, weight 1, no mask) with the stricter contract it always
 * had: queries [nq, d], keys [nk, d], 1 <= k <= nk (k > nk is an error, not padding).
 *
 * Both return a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) when a limit is broken, or the launch error;
 * nq == 0 returns 0 without a launch.
 */
#ifndef PN_COSINE_TOPK_H
#define PN_COSINE_TOPK_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_cosine_topk(const float* queries /* [nq, d] */, const float* keys /* [nk, d] */, int nq, int nk, int d, int k,
                   int* out_index /* [nq, k] */, float* out_value /* [nq, k] */, void* stream);

int pn_weighted_cosine_topk(const float* queries /* [M, nq, d] */, const float* keys /* [M, nk, d] */,
                            const float* weights /* [M] or null */, int M, int nq, int nk, int d,
                            const unsigned char* candidate_mask /* [nq, nk] or null */, int k,
                            int* out_index /* [nq, k] */, float* out_value /* [nq, k] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
