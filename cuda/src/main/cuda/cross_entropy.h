/*
 * cross_entropy.h — C ABI of the model's loss (cross_entropy.cu): per-row cross-entropy of logits against integer
 * targets and its gradient, the device form of Backend.crossEntropy and of its autograd rule.
 *
 * pn_cross_entropy_forward: logits [N, V], targets [N] int32, t = targets[j]:
 *   lse[j]  = ln sum_v e^{x_jv}                   (saved for the backward)
 *   loss[j] = lse[j] - x_j[t]                     0 where t == ignore_index
 * Ignored rows are not read at all: loss = 0 and lse = 0 there. A target outside [0, V) that is not ignore_index
 * (not detectable before the launch: targets live on the device) gives loss = NaN for that row (lse is
 * computed); the Java facade checks targets on the host first. -inf logits are allowed (probability 0); a row
 * with no finite logit, a NaN or a +inf logit gives NaN or inf.
 *
 * pn_cross_entropy_backward: with lse from the forward and dloss [N] the gradient of the loss vector,
 *   dlogits[j, v] = dloss[j] * (e^{x_jv - lse_j} - [v == t])       all zeros for ignored rows
 * and NaN everywhere in a row whose target is outside [0, V) and not ignore_index.
 *
 * Errors (both): 1 (cudaErrorInvalidValue) for N < 0, V < 1 with N > 0, or a null required pointer with N > 0
 * (forward: logits, targets, loss, lse; backward: logits, targets, lse, dloss, dlogits); N == 0 returns 0 without
 * a launch.
 */
#ifndef PN_CROSS_ENTROPY_H
#define PN_CROSS_ENTROPY_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_cross_entropy_forward(const float* logits /* [N, V] */, const int* targets /* [N] */, int N, int V,
                             int ignore_index, float* loss /* [N] */, float* lse /* [N] */, void* stream);

int pn_cross_entropy_backward(const float* logits /* [N, V] */, const int* targets /* [N] */,
                              const float* lse /* [N] */, const float* dloss /* [N] */, int N, int V,
                              int ignore_index, float* dlogits /* [N, V] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
