/*
 * `grand` (docs/methods/adapt-inf.md §4; GraNd, Paul et al. 2021): ‖g(z)‖₂, the L2 norm of the UN-projected per-sample LoRA
 * gradient of the chosen layers (the same gradient the sample vector is projected from), accumulated in double
 * (SampleVectors) where the official code takes an fp16 norm. GraNd(c·L) = |c|·GraNd(L).
 */
package dev.perennial.select;

import java.util.Set;

/**
 * The {@code grand} scorer (GraNd): the L2 norm of a sample's un-projected per-sample LoRA gradient over the chosen
 * layers, accumulated in double; it requires the gradient pass.
 * <p>Immutable; safe to share between threads (a record without components).
 */
public record GradNormScorer() implements Scorer {

    @Override
    public float score(SampleEvidence e) {
        return (float) e.gradientNorm();
    }

    @Override
    public Set<Requirement> requirements() {
        return Set.of(Requirement.GRADIENT);
    }
}
