/*
 * `entropy` (docs/methods/adapt-inf.md §4): the mean predictive entropy −Σ_v p_j[v]·ln p_j[v] in nats, in [0, ln V].
 *   ALL (the official code, default): over every position of the merged multimodal sequence, the last one and
 *     the visual tokens included (obtain_entropy_score averages outputs.logits over all positions); it is
 *     dominated by the visual and prompt positions.
 *   RESPONSE: over the response-token positions only (the positions whose logits predict a response token).
 * The code adds 1e-10 inside the log; the exact entropy here differs from it by less than V·1e-10 nats.
 */
package dev.perennial.select;

/**
 * The {@code entropy} scorer: the mean predictive entropy in nats, in [0, ln V], over every position of the merged
 * multimodal sequence ({@code ALL}, as the official code) or over the response-token positions only ({@code RESPONSE}).
 * <p>Immutable; safe to share between threads (a record of one enum constant).
 */
public record EntropyScorer(Positions positions) implements Scorer {

    public enum Positions { ALL, RESPONSE }

    public EntropyScorer {
        if (positions == null) throw new IllegalArgumentException("positions must be set");
    }

    @Override
    public float score(SampleEvidence e) {
        return positions == Positions.ALL ? e.means().entropyAll()[0] : e.means().entropyResp()[0];
    }
}
