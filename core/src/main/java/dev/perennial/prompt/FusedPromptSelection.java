/*
 * Scoring queries against prompt keys and picking the best keys in one fused call, as an Op (docs/architecture.md,
 * "Ops with a home"): ModalPrompt's
 * dual-modality selection (docs/methods/modalprompt.md §5.1, §14 "the CUDA kernel only needs ...") generalised to M
 * modalities. CudaBackend registers the cosine_topk kernel; on backends without it PromptSimilarity runs its
 * vectorised CPU path. Semantics (the kernel's contract, cosine_topk.h):
 *
 *   score[q, j] = sum_m weights[m] · cos(queries[m, q], keys[m, j]),   cos = 0 when either vector is zero
 *
 * Per query the k best keys that candidateMask allows, ordered by higher score, then lower index; when fewer than
 * k keys are allowed the remaining slots hold index -1 and value -inf. A NaN score is never selected.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * Prompt selection as a backend op: for queries {@code [M, nq, d]}, keys {@code [M, nk, d]} and weights {@code [M]},
 * the score is the weighted sum of cosines, and each query gets its k best allowed keys, values {@code [nq, k]} F32 and
 * indices {@code [nq, k]} I64 (-1 and -inf in empty slots). {@code PromptSimilarity.select} uses it when a backend
 * registers it.
 * <p>Thread-safety is the implementation's (a backend's kernel, such as the CUDA backend's {@code cosine_topk}); this
 * module has no implementation of its own.
 */
public interface FusedPromptSelection {
    /** The op: the backend's kernel, else none (PromptSimilarity's CPU path). */
    Op<FusedPromptSelection> OP = Op.declare("weightedCosineTopk", FusedPromptSelection.class, be -> null);
    /**
     * @param queries       [M, nq, d]
     * @param keys          [M, nk, d]
     * @param weights       [M] modality weights
     * @param candidateMask [nq, nk] BOOL or U8 (nonzero = may be chosen), or null for all
     * @param k             keys per query (>= 1)
     * @return values [nq, k] F32 and indices [nq, k] I64
     */
    Backend.TopK weightedCosineTopk(Tensor queries, Tensor keys, float[] weights, Tensor candidateMask, int k);
}
