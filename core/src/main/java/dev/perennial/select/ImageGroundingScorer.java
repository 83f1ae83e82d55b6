/*
 * `ig`, the Image-Grounding score (docs/methods/adapt-inf.md §5): IG(z) = PPL(e) / PPL(e, I), how much the image lowers the
 * perplexity of the response. > 1: visually grounded; ≈ 1: the image is irrelevant; < 1: the image hurts.
 *
 * The first pass is the scoring pass with images; the second is run without images (§5.4), in one of two ways:
 *   REMOVE (default, the paper's PPL(e)): the image markers and their visual tokens are deleted;
 *   ZERO_PIXELS (the official code): every image is replaced by an all-zero normalised image, visual tokens kept.
 * Both passes score the same response tokens. With a = (1/n)·Σ ℓ_j with images and b = the same without:
 *   EXP_MEAN (default): IG = exp(b − a)                         (both perplexities exp-of-mean, the paper)
 *   CODE_MIXED:         IG = exp(b) / ((1/n)·Σ exp(ℓ_j))        (the code: numerator exp-of-mean, denominator
 *                                                                mean-of-exp)
 * A sample without images has identical passes (SampleEvidence.noImageResponseNll), so EXP_MEAN gives exactly
 * 1.0 (§5.4 TEXT_ONLY_IG) and CODE_MIXED the code's artefact exp(a)/mean(exp ℓ) ≤ 1. Swapping the two passes
 * gives 1/IG under EXP_MEAN. a and b are summed in double in the same order, so identical NLLs give IG = 1 exactly;
 * the ratio is formed in log space (CODE_MIXED: exp(b − log mean exp ℓ)), so large NLLs do not overflow.
 */
package dev.perennial.select;

import java.util.Set;

/**
 * The {@code ig} (image-grounding) scorer: the response's perplexity without images divided by its perplexity with
 * them, so above 1 means visually grounded. {@code NoImageMode} says how images are removed for the second pass and
 * {@code PplAggregation} how perplexities are formed; {@code paper()} is REMOVE with EXP_MEAN.
 * <p>Immutable; safe to share between threads (a record of two enum constants).
 */
public record ImageGroundingScorer(NoImageMode noImage, PplAggregation aggregation) implements Scorer {

    public enum NoImageMode { REMOVE, ZERO_PIXELS }

    public enum PplAggregation { EXP_MEAN, CODE_MIXED }

    public ImageGroundingScorer {
        if (noImage == null || aggregation == null) throw new IllegalArgumentException("IG modes must be set");
    }

    /** The paper's recommended IG: REMOVE, EXP_MEAN. */
    public static ImageGroundingScorer paper() {
        return new ImageGroundingScorer(NoImageMode.REMOVE, PplAggregation.EXP_MEAN);
    }

    /** The second pass this IG needs. */
    public Requirement pass() {
        return noImage == NoImageMode.REMOVE ? Requirement.NO_IMAGE_REMOVED : Requirement.NO_IMAGE_ZERO_PIXELS;
    }

    @Override
    public Set<Requirement> requirements() {
        return Set.of(pass());
    }

    @Override
    public float score(SampleEvidence e) {
        float[] with = e.responseNll(), without = e.noImageResponseNll(pass());
        if (with.length != without.length) {
            throw new IllegalStateException("the passes scored " + with.length + " and " + without.length + " response tokens");
        }
        double a = mean(with), b = mean(without);
        return (float) Math.exp(b - (aggregation == PplAggregation.EXP_MEAN ? a : PerplexityScorer.logMeanExp(with)));
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) s += v;
        return s / x.length;
    }
}
