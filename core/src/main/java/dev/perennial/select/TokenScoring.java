/*
 * ADAPT-∞'s per-token scores (TokenScores.compute: NLL, entropy, EL2N from the logits; docs/methods/adapt-inf.md
 * §4) as an op (docs/architecture.md, "Ops with a home"): on a device the token_scores kernel reduces each row of
 * logits where they lie and only three numbers per token come back; elsewhere TokenScores.compute runs on the host.
 */
package dev.perennial.select;

import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * ADAPT-∞'s per-token scores as a backend op: {@code compute} takes logits {@code [N, V]} and targets {@code [N]} and
 * returns each token's NLL, entropy and EL2N as {@code TokenScores}; a backend may register a kernel, else
 * {@code TokenScores.compute} runs on the host.
 * <p>Thread-safety is the implementation's; the host default, {@code TokenScores.compute}, is a static method that
 * keeps no state.
 */
@FunctionalInterface
public interface TokenScoring {
    /** The op: the backend's kernel, else TokenScores.compute. */
    Op<TokenScoring> OP = Op.declare("tokenScores", TokenScoring.class, be -> TokenScores::compute);

    /** TokenScores.compute's contract: logits [N, V] with row j aligned to targets [N]. */
    TokenScores compute(Tensor logits, Tensor targets, int ignoreIndex);
}
