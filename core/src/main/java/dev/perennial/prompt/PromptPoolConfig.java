/*
 * The settings of a prompt pool (docs/methods/modalprompt.md §14): the common shape of L2P, DualPrompt, S-Prompts, CODA-Prompt
 * and ModalPrompt. A pool holds value prompts P_m [Lp, D], each with a key; a sample brings one or more frozen
 * queries q_1..q_M (e.g. a CLIP image and a CLIP text feature, all of width d); a score compares queries with keys;
 * a selector picks entries; a composer turns the picked prompts into the embeddings inserted into the LLM input; an
 * optional key loss pulls keys towards the queries. The presets below are the published methods as this library
 * runs them (see each method's comment for what it leaves out).
 *
 * Vocabulary (names from the papers):
 *   Growth    PER_TASK: one entry per task, added when the task starts (ModalPrompt, DualPrompt's E-prompts,
 *             S-Prompts); SHARED: a fixed pool of poolSize entries created at the start (L2P, CODA-Prompt).
 *   Keys      DERIVED_MLP: k_i = mean_j g_i(P_i[j]) with a per-entry MLP g_i: D -> D -> d, SiLU (ModalPrompt §3);
 *             FREE: a trainable key vector per entry (L2P, DualPrompt, CODA); CENTROIDS: k-means centroids of the
 *             entry's training queries, centroidsPerEntry per entry, never trained (S-Prompts).
 *   Score     COSINE: s = sum_m w_m cos(q_m, k) (ModalPrompt §5.1 with w = (lambda, 1 - lambda)); NEG_L2:
 *             s = -sum_m w_m ||q_m - k||.
 *   Selector  TOP_K: the topK best entries, in ascending score order (most similar nearest the text, §5.3); with
 *             forceCurrent, training uses ModalPrompt's rule (§5.2: the current entry last after the top K-1 earlier
 *             ones); ARGMAX: the best entry (DualPrompt, S-Prompts at test; the current one in training with
 *             forceCurrent); SOFT: every entry, weighted by its score (CODA-Prompt style).
 *   Composer  CONCAT_AFTER_BOS / PREFIX: the selected prompts concatenated in selection order, inserted right after
 *             BOS (ModalPrompt §2.4) or before it; WEIGHTED_SUM: sum_m alpha_m P_m (only with SOFT).
 *   KeyLoss   CURRENT: sum over modalities of (1 - mean_b cos(q_m,b, k_current)) (ModalPrompt §6.1, DualPrompt);
 *             SELECTED: mean_b sum over the sample's selected entries and modalities of (1 - cos) (L2P); NONE.
 *             Multiplied by keyLossWeight.
 *   Trainable CURRENT_ENTRY: only the current entry's prompt and key (ModalPrompt §6.2); ALL_ENTRIES: the whole
 *             pool (L2P, whose pool is shared across tasks).
 */
package dev.perennial.prompt;

import java.util.Arrays;
import java.util.List;

/**
 * The configuration of a prompt pool: prompt length, key width, query modalities and weights, growth, keys, score,
 * selector, composer and key loss (ModalPrompt, L2P, DualPrompt, S-Prompts).
 * <p>Immutable; safe to share between threads (lists are immutable copies, queryWeights is cloned in and out).
 *
 * @param promptLength     Lp, prompt tokens per entry (ModalPrompt L = 10)
 * @param keyDim           d, the width of keys and of every query (768 for CLIP ViT-L/14-336)
 * @param queries          names of the query modalities, in the order of the queries tensor [M, B, d]
 * @param queryWeights     w_m, one per query (ModalPrompt: lambda, 1 - lambda)
 * @param topK             K for TOP_K (ModalPrompt's transfer number, 3)
 * @param poolSize         entries of a SHARED pool (ignored for PER_TASK)
 * @param centroidsPerEntry keys per entry for CENTROIDS (ignored otherwise)
 */
public record PromptPoolConfig(String method, int promptLength, int keyDim, List<String> queries, float[] queryWeights,
                               Growth growth, int poolSize, Keys keys, int centroidsPerEntry, Score score,
                               Selector selector, int topK, boolean forceCurrent, Composer composer, KeyLoss keyLoss,
                               float keyLossWeight, Trainable trainable) {
    public enum Growth { PER_TASK, SHARED }
    public enum Keys { DERIVED_MLP, FREE, CENTROIDS }
    public enum Score { COSINE, NEG_L2 }
    public enum Selector { TOP_K, ARGMAX, SOFT }
    public enum Composer { CONCAT_AFTER_BOS, PREFIX, WEIGHTED_SUM }
    public enum KeyLoss { NONE, CURRENT, SELECTED }
    public enum Trainable { CURRENT_ENTRY, ALL_ENTRIES }

    public PromptPoolConfig {
        queries = List.copyOf(queries);
        queryWeights = queryWeights.clone();
        if (promptLength < 1) throw new IllegalArgumentException("prompt length must be >= 1, got " + promptLength);
        if (keyDim < 1) throw new IllegalArgumentException("key width must be >= 1, got " + keyDim);
        if (queries.isEmpty() || queries.size() != queryWeights.length) {
            throw new IllegalArgumentException(queries.size() + " queries but " + queryWeights.length + " weights");
        }
        for (float w : queryWeights) if (!Float.isFinite(w)) throw new IllegalArgumentException("query weights must be finite: " + Arrays.toString(queryWeights));
        if (selector == Selector.TOP_K && topK < 1) throw new IllegalArgumentException("top-k needs K >= 1, got " + topK);
        if (growth == Growth.SHARED && poolSize < 1) throw new IllegalArgumentException("a shared pool needs >= 1 entry, got " + poolSize);
        if (growth == Growth.SHARED && forceCurrent) throw new IllegalArgumentException("a shared pool has no current entry to force");
        if ((composer == Composer.WEIGHTED_SUM) != (selector == Selector.SOFT)) {
            throw new IllegalArgumentException("the WEIGHTED_SUM composer goes with the SOFT selector and only with it");
        }
        if (keys == Keys.CENTROIDS && (centroidsPerEntry < 1 || selector != Selector.ARGMAX || keyLoss != KeyLoss.NONE)) {
            throw new IllegalArgumentException("CENTROIDS keys need >= 1 centroid per entry, the ARGMAX selector and no key loss");
        }
        if (keys == Keys.CENTROIDS && score != Score.COSINE) throw new IllegalArgumentException("CENTROIDS keys are compared by cosine");
        if (keyLoss != KeyLoss.NONE && !(keyLossWeight > 0)) throw new IllegalArgumentException("key loss weight must be > 0");
        if (keyLoss == KeyLoss.CURRENT && growth == Growth.SHARED) throw new IllegalArgumentException("a shared pool has no current entry for the key loss");
    }

    /** M, the number of query modalities. */
    public int modalities() { return queries.size(); }

    @Override public float[] queryWeights() { return queryWeights.clone(); }

    /** Value equality, the weights compared element by element (a record compares arrays by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PromptPoolConfig c && method.equals(c.method) && promptLength == c.promptLength && keyDim == c.keyDim
                && queries.equals(c.queries) && Arrays.equals(queryWeights, c.queryWeights) && growth == c.growth
                && poolSize == c.poolSize && keys == c.keys && centroidsPerEntry == c.centroidsPerEntry && score == c.score
                && selector == c.selector && topK == c.topK && forceCurrent == c.forceCurrent && composer == c.composer
                && keyLoss == c.keyLoss && Float.compare(keyLossWeight, c.keyLossWeight) == 0 && trainable == c.trainable;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(method, promptLength, keyDim, queries, Arrays.hashCode(queryWeights), growth, poolSize, keys,
                centroidsPerEntry, score, selector, topK, forceCurrent, composer, keyLoss, keyLossWeight, trainable);
    }

    @Override
    public String toString() {
        return method + "{L=" + promptLength + ", d=" + keyDim + ", queries=" + queries + ", weights=" + Arrays.toString(queryWeights)
                + ", " + growth + (growth == Growth.SHARED ? "(" + poolSize + ")" : "") + ", keys=" + keys + ", score=" + score
                + ", selector=" + selector + (selector == Selector.TOP_K ? "(K=" + topK + ")" : "") + ", forceCurrent=" + forceCurrent
                + ", composer=" + composer + ", keyLoss=" + keyLoss + "(" + keyLossWeight + "), trainable=" + trainable + "}";
    }

    /**
     * ModalPrompt (docs/methods/modalprompt.md §2–6): per-task prompts of L tokens, keys from a per-task MLP, image and text CLIP
     * queries weighted lambda and 1 - lambda, top-K with the current task forced last in training, hard
     * concatenation after BOS, alignment loss (1 - cos) of the current key to both queries, only the current task
     * trains. Defaults K = 3, L = 10, lambda = 0.5.
     */
    public static PromptPoolConfig modalPrompt(int k, int promptLength, float lambda, int keyDim) {
        if (!(lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
        return new PromptPoolConfig("modalprompt", promptLength, keyDim, List.of("image", "text"), new float[]{lambda, 1 - lambda},
                Growth.PER_TASK, 0, Keys.DERIVED_MLP, 0, Score.COSINE, Selector.TOP_K, k, true, Composer.CONCAT_AFTER_BOS,
                KeyLoss.CURRENT, 1f, Trainable.CURRENT_ENTRY);
    }

    /**
     * L2P (Wang et al. 2022) at the LLM input: a shared pool of {@code poolSize} prompts with free keys, one query,
     * the N = {@code selected} best keys by cosine, concatenated after BOS, key loss (1 - cos) over the selected keys
     * weighted {@code keyLossWeight} (paper: 0.1... 1), every entry trainable. The paper's optional frequency
     * re-weighting of the training selection is left out (plain top-N by cosine).
     */
    public static PromptPoolConfig l2p(int poolSize, int selected, int promptLength, int keyDim, String query, float keyLossWeight) {
        return new PromptPoolConfig("l2p", promptLength, keyDim, List.of(query), new float[]{1f}, Growth.SHARED, poolSize,
                Keys.FREE, 0, Score.COSINE, Selector.TOP_K, selected, false, Composer.CONCAT_AFTER_BOS, KeyLoss.SELECTED,
                keyLossWeight, Trainable.ALL_ENTRIES);
    }

    /**
     * DualPrompt's task prompts (E-prompts) at the LLM input: one prompt and free key per task, the true task's prompt
     * in training with key loss (1 - cos) to it, the best key at test. DualPrompt's shared G-prompt and its
     * prefix-tuning of middle layers are not part of this preset (prompts enter at the input only).
     */
    public static PromptPoolConfig dualPromptTaskPrompts(int promptLength, int keyDim, String query) {
        return new PromptPoolConfig("dualprompt-e", promptLength, keyDim, List.of(query), new float[]{1f}, Growth.PER_TASK, 0,
                Keys.FREE, 0, Score.COSINE, Selector.ARGMAX, 1, true, Composer.CONCAT_AFTER_BOS, KeyLoss.CURRENT, 1f,
                Trainable.CURRENT_ENTRY);
    }

    /**
     * S-Prompts: one prompt per task whose keys are k-means centroids of the task's training queries; the entry of
     * the nearest centroid at test.
     */
    public static PromptPoolConfig sPrompts(int promptLength, int keyDim, String query, int centroids) {
        return new PromptPoolConfig("s-prompts", promptLength, keyDim, List.of(query), new float[]{1f}, Growth.PER_TASK, 0,
                Keys.CENTROIDS, centroids, Score.COSINE, Selector.ARGMAX, 1, true, Composer.CONCAT_AFTER_BOS, KeyLoss.NONE, 0f,
                Trainable.CURRENT_ENTRY);
    }
}
