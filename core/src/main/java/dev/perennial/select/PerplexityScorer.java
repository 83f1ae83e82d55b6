/*
 * `ppl` (docs/methods/adapt-inf.md §4): how badly the model predicts the response, in log space.
 *   LOG_PPL (default, the paper): (1/n)·Σ_{j∈R} ℓ_j, the mean NLL over the n response tokens = log of the paper's
 *     PPL(z) = exp((1/n)·Σ ℓ_j); ≥ 0, and 0 exactly when every response token has probability 1.
 *   CODE_COMPAT: log((1/n)·Σ_{j∈R} exp(ℓ_j)), the official code's per-token-exp mean, stored as its log by
 *     load_scores; ≥ LOG_PPL by Jensen. Computed as a log-sum-exp in double, max ℓ + log Σ exp(ℓ_j − max ℓ) − log n:
 *     the mean of exp(ℓ) itself overflows float for ℓ > 88 (and the code's fp16 for ℓ > 11).
 */
package dev.perennial.select;

/**
 * The {@code ppl} scorer, in log space: the mean NLL in nats of the response tokens ({@code LOG_PPL}, the paper's log
 * perplexity) or the log of the mean of their exponentials ({@code CODE_COMPAT}, the official code), computed without
 * overflow.
 * <p>Immutable; safe to share between threads (a record of one enum constant).
 */
public record PerplexityScorer(Aggregation aggregation) implements Scorer {

    public enum Aggregation { LOG_PPL, CODE_COMPAT }

    public PerplexityScorer {
        if (aggregation == null) throw new IllegalArgumentException("aggregation must be set");
    }

    @Override
    public float score(SampleEvidence e) {
        return aggregation == Aggregation.LOG_PPL ? e.means().meanNll()[0] : (float) logMeanExp(e.responseNll());
    }

    /** log((1/n)·Σ exp(x_j)) without overflow. */
    static double logMeanExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        return max + Math.log(sum / x.length);
    }
}
