/*
 * `el2n` (docs/methods/adapt-inf.md §4; Paul et al. 2021, adapted to sequences): the mean over response tokens of the error
 * norm ‖p_j − onehot(y_j)‖₂ = √(1 − 2·p_j[y_j] + Σ_v p_j[v]²), in [0, √2] (TokenScores computes it per token).
 */
package dev.perennial.select;

/**
 * The {@code el2n} scorer: the mean over response tokens of the L2 norm of the predicted distribution minus the one-hot
 * target, in [0, √2]; higher means harder.
 * <p>Immutable; safe to share between threads (a record without components).
 */
public record El2nScorer() implements Scorer {

    @Override
    public float score(SampleEvidence e) {
        return e.means().meanEl2n()[0];
    }
}
