/*
 * The score part of a prompt pool (docs/methods/modalprompt.md §5.1, §14): how one query modality is compared with one
 * key. The pool combines modalities as s = Σ_m w_m · score(q_m, k) (PromptQueries holds w). Two scores are
 * standard:
 *   cosine   cos(q, k) with torch's eps clamp on each norm (ModalPrompt, L2P, DualPrompt, S-Prompts). Its top-k over
 *            a pool is the fused PromptSimilarity op (the cosine_topk CUDA kernel on a CUDA backend).
 *   neg-l2   −‖q − k‖ (a distance-based selection), computed in double by the pool.
 * A new score implements this interface and registers a JSON name in PromptParts.
 */
package dev.perennial.prompt;

/**
 * How a prompt pool scores one query modality {@code q [d]} against one key {@code k [d]}, in double; {@code cosine()}
 * tells the pool it may use the fused cosine top-k op for selection.
 * <p>Implementations are immutable values (records); safe to share between threads.
 */
public interface PromptScore {
    /** torch.nn.functional.cosine_similarity's eps on each norm (§5.1). */
    double EPS = 1e-8;

    /** The cosine score, cos(q, k) with each norm clamped to at least EPS. */
    PromptScore COSINE = new Cosine();
    /** The negative Euclidean distance −‖q − k‖. */
    PromptScore NEG_L2 = new NegativeL2();

    /** The part's name in pool.json. */
    String type();

    /** Settings written to pool.json beside the type (none by default). */
    default java.util.Map<String, Object> settings() { return java.util.Map.of(); }

    /** score(q, k) of q = query[qOffset .. qOffset + d) and k = keys[kOffset .. kOffset + d), in double. */
    double score(float[] query, int qOffset, float[] keys, int kOffset, int d);

    /** True when this is the cosine score, which the fused PromptSimilarity top-k computes. */
    default boolean cosine() { return false; }

    /** cos(q, k) with torch's eps clamp on each norm. */
    record Cosine() implements PromptScore {
        @Override public String type() { return "cosine"; }
        @Override public boolean cosine() { return true; }

        @Override
        public double score(float[] query, int qOffset, float[] keys, int kOffset, int d) {
            double dot = 0, qq = 0, kk = 0;
            for (int x = 0; x < d; x++) {
                double u = query[qOffset + x], v = keys[kOffset + x];
                dot += u * v;
                qq += u * u;
                kk += v * v;
            }
            return dot / (Math.max(Math.sqrt(qq), EPS) * Math.max(Math.sqrt(kk), EPS));
        }
    }

    /** −‖q − k‖. */
    record NegativeL2() implements PromptScore {
        @Override public String type() { return "neg-l2"; }

        @Override
        public double score(float[] query, int qOffset, float[] keys, int kOffset, int d) {
            double l2 = 0;
            for (int x = 0; x < d; x++) {
                double diff = (double) query[qOffset + x] - keys[kOffset + x];
                l2 += diff * diff;
            }
            return -Math.sqrt(l2);
        }
    }
}
