/*
 * cosine_topk.h — C ABI of the prompt-retrieval kernel (cosine_topk.cu): for every query the k keys with the
 * highest cosine similarity, ordered by "higher value, then lower index" (Backend.topk's rule).
 *   sim[q, j] = <queries[q], keys[j]> / (|queries[q]| |keys[j]|), and 0 when either vector is zero (no NaN).
 * queries [nq, d], keys [nk, d], out_index [nq, k] (int32), out_value [nq, k], all contiguous float32 device
 * pointers (host pointers on the emulated device).
 * Limits: 1 <= k <= nk, d >= 1, and the query plus the nk similarities fit the 48 KiB of dynamic shared memory
 * ((d + nk) * 4 bytes). Returns a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) when a limit is broken
 * (k > nk included), or the launch error.
 */
#ifndef PN_COSINE_TOPK_H
#define PN_COSINE_TOPK_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_cosine_topk(const float* queries /* [nq, d] */, const float* keys /* [nk, d] */, int nq, int nk, int d, int k,
                   int* out_index /* [nq, k] */, float* out_value /* [nq, k] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
