/*
 * Everything the model passes over one sample produced that a Scorer may read (docs/methods/adapt-inf.md §4: "all scores come
 * out of the same forward pass that produces the gradient, plus one extra forward pass for IG").
 *
 * Rows follow the merged multimodal sequence of the pass with images (system prompt, visual tokens, question,
 * answer; T positions): row j holds the scores of the logits at position j, whose target is the token at j + 1
 * (targets[j]; ignoreIndex where that token is not a response token, and always for the last row). So the
 * response rows are those with targets[j] != ignoreIndex, and every per-token quantity of the spec is one of:
 * tokens.nll / el2n at response rows, tokens.entropy at every row. means holds their per-sample means
 * (TokenScores.perSample over the one segment [0, T)).
 *
 * The second pass (IG) is scored on the same response tokens, in the same order: noImageNll.get(pass) has one NLL
 * per response token. For a sample without an image there is nothing to remove and the pass would repeat the
 * first one, so it is not run and noImageResponseNll() returns the first pass's response NLLs.
 */
package dev.perennial.select;

import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * What the scoring pass measured for one sample, from which every ADAPT-∞ scorer computes its score: token scores,
 * targets, gradient norm and no-image NLLs.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param tokens       per-row scores of the pass with images [T]
 * @param targets      per-row targets [T] (ignoreIndex at non-response rows)
 * @param means        per-sample means of tokens (arrays of length 1)
 * @param gradientNorm ‖g(z)‖₂ of the un-projected LoRA gradient, or NaN when the gradient was not computed
 * @param hasImage     whether the sample's sequence holds image markers
 * @param noImageNll   per Requirement.NO_IMAGE_* pass that ran: the response-token NLLs of that pass (samples with
 *                     an image only)
 */
public record SampleEvidence(TokenScores tokens, long[] targets, int ignoreIndex, TokenScores.SampleScores means,
                             double gradientNorm, boolean hasImage, Map<Scorer.Requirement, float[]> noImageNll) {

    public SampleEvidence {
        noImageNll = Map.copyOf(noImageNll);
    }

    /** Evidence with the means computed from tokens and targets. */
    public static SampleEvidence of(TokenScores tokens, long[] targets, int ignoreIndex, double gradientNorm,
                                    boolean hasImage, Map<Scorer.Requirement, float[]> noImageNll) {
        TokenScores.SampleScores means = tokens.perSample(Tensor.ofLongs(targets, targets.length),
                new int[]{0, targets.length}, ignoreIndex);
        return new SampleEvidence(tokens, targets, ignoreIndex, means, gradientNorm, hasImage, noImageNll);
    }

    /** n, the number of response tokens. */
    public int responseTokens() { return means.count()[0]; }

    /** The NLL of each response token in the pass with images, in order. */
    public float[] responseNll() {
        float[] out = new float[responseTokens()];
        for (int j = 0, i = 0; j < targets.length; j++) if (targets[j] != ignoreIndex) out[i++] = tokens.nll()[j];
        return out;
    }

    /**
     * The NLL of each response token in the given pass without images (Requirement.NO_IMAGE_*), in order; for a
     * sample without images the first pass's (the two passes are the same).
     */
    public float[] noImageResponseNll(Scorer.Requirement pass) {
        if (!hasImage) return responseNll();
        float[] nll = noImageNll.get(pass);
        if (nll == null) throw new IllegalStateException("the pass " + pass + " was not run; declare it in the scorer's requirements()");
        return nll;
    }
}
