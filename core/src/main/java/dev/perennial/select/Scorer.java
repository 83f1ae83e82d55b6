/*
 * One ADAPT-∞ scoring function ("selector expert", docs/methods/adapt-inf.md §4): a number per sample, computed from what the
 * model passes over that sample produced (SampleEvidence). The pool of experts is open (the paper: it "can be
 * seamlessly extended with new scoring functions"): implement this interface and register it under a name in a
 * ScorerRegistry. requirements() tells the pool scorer which extra work the score needs, so the passes run only
 * when a requested scorer needs them; the forward pass with images, its logits and per-token scores are always
 * there.
 *
 * Direction (§4): high = harder / more informative (ppl, el2n, entropy, grand) or more image-dependent (ig). A
 * sample without response tokens, or whose image cannot be loaded, gets NaN from the pool scorer without being
 * scored.
 */
package dev.perennial.select;

import java.util.Set;

/**
 * One ADAPT-∞ scoring function: {@code score} turns what the model passes produced for a sample
 * ({@code SampleEvidence}) into a number, higher meaning harder or more image-dependent, and {@code requirements} names
 * the extra passes it needs (gradient, no-image passes). Register implementations in a {@code ScorerRegistry}.
 * <p>Thread-safety is the implementation's; the standard scorers ({@code El2nScorer}, {@code EntropyScorer},
 * {@code GradNormScorer}, {@code ImageGroundingScorer}, {@code PerplexityScorer}) are immutable records.
 */
@FunctionalInterface
public interface Scorer {

    /** Work beyond the forward pass with images that a scorer needs. */
    enum Requirement {
        /** The backward pass into the LoRA tensors of the chosen layers (SampleEvidence.gradientNorm). */
        GRADIENT,
        /** A second forward pass with the image markers and their visual tokens deleted (IG, §5.4 REMOVE). */
        NO_IMAGE_REMOVED,
        /** A second forward pass with an all-zero normalised image in place of each image (IG, §5.2 ZERO_PIXELS). */
        NO_IMAGE_ZERO_PIXELS
    }

    /** The score of one sample with at least one response token. */
    float score(SampleEvidence evidence);

    /** What score() reads beyond the forward pass with images; none by default. */
    default Set<Requirement> requirements() {
        return Set.of();
    }
}
