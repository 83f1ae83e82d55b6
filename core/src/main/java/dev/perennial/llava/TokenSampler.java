/*
 * Picks the next token from one row of logits: argmax (ties to the lower id) when greedy, else softmax of
 * logits / temperature restricted to the smallest set of most likely tokens whose probability reaches top_p
 * (the token that crosses the threshold is kept, as in Hugging Face's TopPLogitsWarper), sampled with the
 * caller's seeded generator. Masked ids (>= maskIdsFrom) are never picked.
 */
package dev.perennial.llava;

import java.util.Arrays;
import java.util.SplittableRandom;

final class TokenSampler {
    private TokenSampler() {}

    static int pick(float[] logits, GenerationConfig cfg, SplittableRandom rng) {
        int n = Math.min(logits.length, cfg.maskIdsFrom());
        if (n <= 0) throw new IllegalArgumentException("every id is masked");
        if (cfg.greedy()) {
            int best = 0;
            for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / cfg.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        final double[] probs = p;
        Arrays.sort(order, (a, b) -> probs[b] != probs[a] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
        double kept = 0;
        int count = 0;
        while (count < n) {                                   // smallest prefix reaching top_p (at least one)
            kept += p[order[count++]] / sum;
            if (kept >= cfg.topP()) break;
        }
        double r = rng.nextDouble() * kept * sum, acc = 0;
        for (int i = 0; i < count; i++) {
            acc += p[order[i]];
            if (r < acc) return order[i];
        }
        return order[count - 1];
    }
}
