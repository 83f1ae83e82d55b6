/*
 * token_scores.h — C ABI of the ADAPT-∞ score aggregation (token_scores.cu; docs/methods/adapt-inf.md §4): per-token
 * NLL, entropy and EL2N straight from the logits, without materialising the probabilities, and their per-sample
 * means. Natural logarithms throughout.
 *
 * pn_token_scores: logits [N, V] (row j already aligned with targets[j]), targets [N] int32; per row j, with
 * lse_j = ln sum_v e^{x_jv}, p_jv = e^{x_jv - lse_j} and t = targets[j]:
 *   nll[j]     = lse_j - x_j[t]                                  0 where t == ignore_index
 *   entropy[j] = lse_j - sum_v p_jv x_jv  (= -sum_v p ln p)      for EVERY row, ignored or not
 *   el2n[j]    = sqrt(1 - 2 p_jt + sum_v p_jv^2)  (= |p_j - e_t|_2)  0 where t == ignore_index
 * (The official code's entropy is -sum p ln(p + 1e-10); the difference is below 1e-10 * V.)
 * A target outside [0, V) that is not ignore_index cannot be reported before the launch (targets live on the
 * device): that row gets nll = el2n = NaN (its entropy is still computed). -inf logits are allowed (they get
 * probability 0; a row with no finite logit gives NaN); a NaN logit makes its row NaN; +inf is not supported.
 * Each output pointer may be null (not computed). Errors: 1 (cudaErrorInvalidValue) for N < 0, V < 1 with
 * N > 0, or a null logits/targets pointer with N > 0; N == 0 returns 0 without a launch.
 *
 * pn_sample_scores: sample s owns rows [offsets[s], offsets[s+1]) of the per-token arrays (offsets [S + 1]
 * int32, non-decreasing, every value within the arrays: the launcher cannot check device data, the Java facade
 * does; a decreasing pair is an empty sample). Over the n_s supervised rows (targets != ignore_index):
 *   mean_nll[s] = mean nll,   mean_exp_nll[s] = mean e^{nll} (the official code's "ppl", spec §4 CODE_COMPAT),
 *   mean_el2n[s] = mean el2n, entropy_resp[s] = mean entropy;   over ALL its rows: entropy_all[s] = mean entropy;
 *   count[s] = n_s.
 * n_s == 0 -> NaN for the four supervised means (an empty sample also has entropy_all NaN). Any output may be
 * null; an input may be null only when no requested output needs it (nll for mean_nll / mean_exp_nll, el2n for
 * mean_el2n, entropy for entropy_all / entropy_resp), else error 1. Errors: 1 for S < 0, null targets or offsets
 * with S > 0, or a missing input as above; S == 0 returns 0 without a launch.
 */
#ifndef PN_TOKEN_SCORES_H
#define PN_TOKEN_SCORES_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_token_scores(const float* logits /* [N, V] */, const int* targets /* [N] */, int N, int V, int ignore_index,
                    float* nll /* [N] or null */, float* entropy /* [N] or null */, float* el2n /* [N] or null */,
                    void* stream);

int pn_sample_scores(const float* nll /* [N] */, const float* entropy /* [N] */, const float* el2n /* [N] */,
                     const int* targets /* [N] */, const int* offsets /* [S + 1] */, int S, int ignore_index,
                     float* mean_nll /* [S] */, float* mean_exp_nll /* [S] */, float* mean_el2n /* [S] */,
                     float* entropy_all /* [S] */, float* entropy_resp /* [S] */, int* count /* [S] */,
                     void* stream);

#ifdef __cplusplus
}
#endif

#endif
