/*
 * The configuration of a prompt pool (docs/methods/modalprompt.md §14): the common shape of L2P, DualPrompt, S-Prompts,
 * CODA-Prompt and ModalPrompt as a composition of parts. A pool holds value prompts P_m [Lp, D], each with a key; a
 * sample brings one or more frozen queries (PromptQueries: e.g. a CLIP image and a CLIP text feature, all of width
 * d, with weights); a score (PromptScore) compares a query with a key; a selector (PromptSelector) picks entries;
 * a composer (PromptComposer) turns the picked prompts into the embeddings inserted into the LLM input; a key
 * source (KeySource) says where keys come from; a key loss (KeyLoss) pulls keys towards the queries (DualPrompt's
 * composer also prefix-tunes a pool-wide shared G-prompt into decoder layers, LayerPrefixComposer). Two pool
 * policies complete it:
 *   Growth    PER_TASK: one entry per task, added when the task starts (ModalPrompt, DualPrompt's E-prompts,
 *             S-Prompts); SHARED: a fixed pool of poolSize entries created at the start (L2P, CODA-Prompt).
 *   Trainable CURRENT_ENTRY: only the current entry's prompt and key (ModalPrompt §6.2); ALL_ENTRIES: the whole
 *             pool (L2P, whose pool is shared across tasks).
 * The presets below are the published methods as this library runs them: each is a choice of parts, and a new
 * method is a new preset (plus, if it needs one, a new part registered in PromptParts). Each part checks the
 * combinations it cannot work with when the configuration is built.
 *
 * On disk (pool.json, format perennial-prompt-pool/2) a configuration is toMap(): the policies as names, every part
 * as {"type": ..., settings}. fromMap() also reads format 1, whose flat fields named the parts by enum constants.
 */
package dev.perennial.prompt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration of a prompt pool as a composition of parts: prompt length, key width, queries, growth, key
 * source, score, selector, composer, key loss and what trains (presets for ModalPrompt, L2P, DualPrompt's task
 * prompts, S-Prompts).
 * <p>Immutable; safe to share between threads (every part is an immutable value).
 *
 * @param method       a name for the configuration (the preset's, e.g. "modalprompt")
 * @param promptLength Lp, prompt rows per entry (ModalPrompt L = 10; DualPrompt |E layers| · Le)
 * @param keyDim       d, the width of keys and of every query (768 for CLIP ViT-L/14-336)
 * @param queries      the query modalities, in the order of the queries tensor [M, B, d], and their weights
 * @param poolSize     entries of a SHARED pool (ignored for PER_TASK)
 */
public record PromptPoolConfig(String method, int promptLength, int keyDim, PromptQueries queries, Growth growth, int poolSize,
                               KeySource keys, PromptScore score, PromptSelector selector, PromptComposer composer,
                               KeyLoss keyLoss, Trainable trainable) {
    public enum Growth { PER_TASK, SHARED }
    public enum Trainable { CURRENT_ENTRY, ALL_ENTRIES }

    public PromptPoolConfig(String method, int promptLength, int keyDim, PromptQueries queries, Growth growth, int poolSize,
                            KeySource keys, PromptScore score, PromptSelector selector, PromptComposer composer,
                            KeyLoss keyLoss, Trainable trainable) {
        this.method = Objects.requireNonNull(method, "method");
        this.promptLength = promptLength;
        this.keyDim = keyDim;
        this.queries = Objects.requireNonNull(queries, "queries");
        this.growth = Objects.requireNonNull(growth, "growth");
        this.poolSize = poolSize;
        this.keys = Objects.requireNonNull(keys, "key source");
        this.score = Objects.requireNonNull(score, "score");
        this.selector = Objects.requireNonNull(selector, "selector");
        this.composer = Objects.requireNonNull(composer, "composer");
        this.keyLoss = Objects.requireNonNull(keyLoss, "key loss");
        this.trainable = Objects.requireNonNull(trainable, "trainable");
        if (promptLength < 1) throw new IllegalArgumentException("prompt length must be >= 1, got " + promptLength);
        if (keyDim < 1) throw new IllegalArgumentException("key width must be >= 1, got " + keyDim);
        if (growth == Growth.SHARED && poolSize < 1) throw new IllegalArgumentException("a shared pool needs >= 1 entry, got " + poolSize);
        if (growth == Growth.SHARED && selector.forcesCurrent()) throw new IllegalArgumentException("a shared pool has no current entry to force");
        if (composer.weighted() != selector.weighted()) {
            throw new IllegalArgumentException("the " + composer.type() + " composer does not go with the " + selector.type()
                    + " selector (a weighted composer needs a weighted selector, and only it)");
        }
        keys.validate(this);
        keyLoss.validate(this);
        composer.validate(this);
    }

    /** The width of the pool's prompts for a model with this text config (the composer's: D, or Dkv for prefixes). */
    public int promptWidth(dev.perennial.llava.LlamaConfig text) {
        return composer.promptWidth(text.hiddenSize(), text.numKvHeads() * text.headDim());
    }

    /** Refuses a model the pool cannot work with, naming why (e.g. prefix layers beyond its depth). */
    public void checkModel(dev.perennial.llava.LlamaConfig text) {
        composer.checkModel(text);
    }

    /** M, the number of query modalities. */
    public int modalities() { return queries.modalities(); }

    /** w_m, one per query modality (a copy). */
    public float[] queryWeights() { return queries.weights(); }

    @Override
    public String toString() {
        return method + "{L=" + promptLength + ", d=" + keyDim + ", " + queries + ", " + growth
                + (growth == Growth.SHARED ? "(" + poolSize + ")" : "") + ", keys=" + part(keys.type(), keys.settings())
                + ", score=" + score.type() + ", selector=" + part(selector.type(), selector.settings()) + ", composer="
                + composer.type() + ", keyLoss=" + part(keyLoss.type(), keyLoss.settings()) + ", trainable=" + trainable + "}";
    }

    private static String part(String type, Map<String, Object> settings) {
        return settings.isEmpty() ? type : type + settings;
    }

    // ------------------------------------------------------------------------------------------- presets

    /**
     * ModalPrompt (docs/methods/modalprompt.md §2–6): per-task prompts of L tokens, keys from a per-task MLP, image and text
     * CLIP queries weighted lambda and 1 - lambda, top-K with the current task forced last in training, hard
     * concatenation after BOS, alignment loss (1 - cos) of the current key to both queries, only the current task
     * trains. Defaults K = 3, L = 10, lambda = 0.5.
     */
    public static PromptPoolConfig modalPrompt(int k, int promptLength, float lambda, int keyDim) {
        if (!(lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
        return new PromptPoolConfig("modalprompt", promptLength, keyDim, new PromptQueries(List.of("image", "text"), new float[]{lambda, 1 - lambda}),
                Growth.PER_TASK, 0, new DerivedMlpKeys(), PromptScore.COSINE, new TopKSelector(k, true), PromptComposer.AFTER_BOS,
                new CurrentKeyLoss(1f), Trainable.CURRENT_ENTRY);
    }

    /**
     * L2P (Wang et al. 2022) at the LLM input: a shared pool of {@code poolSize} prompts with free keys, one query,
     * the N = {@code selected} best keys by cosine, concatenated after BOS, key loss (1 - cos) over the selected keys
     * weighted {@code keyLossWeight} (paper: 0.1... 1), every entry trainable. The paper's optional frequency
     * re-weighting of the training selection is left out (plain top-N by cosine).
     */
    public static PromptPoolConfig l2p(int poolSize, int selected, int promptLength, int keyDim, String query, float keyLossWeight) {
        return new PromptPoolConfig("l2p", promptLength, keyDim, PromptQueries.single(query), Growth.SHARED, poolSize,
                new FreeKeys(), PromptScore.COSINE, new TopKSelector(selected, false), PromptComposer.AFTER_BOS,
                new SelectedKeyLoss(keyLossWeight), Trainable.ALL_ENTRIES);
    }

    /**
     * DualPrompt (Wang et al., ECCV 2022) in the LLaVA decoder (docs/methods/modalprompt.md §14.2): a G-prompt shared
     * by every task, prefix-tuned into {@code gLayers} ({@code gLength} rows per layer), and per task an E-prompt with
     * a free key, prefix-tuned into {@code eLayers} ({@code eLength} rows per layer); the query is the frozen CLIP
     * feature {@code query}; training uses the true task's E-prompt with the key loss 1 - cos(query, its key), test
     * time the E-prompt of the nearest key; the G-prompt and the current E-prompt with its key train.
     */
    public static PromptPoolConfig dualPrompt(List<Integer> gLayers, int gLength, List<Integer> eLayers, int eLength, int keyDim, String query) {
        LayerPrefixComposer composer = new LayerPrefixComposer(gLayers, gLength, eLayers, eLength);
        return new PromptPoolConfig("dualprompt", composer.entryRows(), keyDim, PromptQueries.single(query), Growth.PER_TASK, 0,
                new FreeKeys(), PromptScore.COSINE, new ArgmaxSelector(true), composer, new CurrentKeyLoss(1f), Trainable.CURRENT_ENTRY);
    }

    /**
     * DualPrompt's task prompts (E-prompts) at the LLM input only, the preset before dualPrompt(): one prompt and free
     * key per task, the true task's prompt in training with key loss (1 - cos) to it, the best key at test; no
     * G-prompt and no prefix tuning (prompts concatenated after BOS).
     */
    public static PromptPoolConfig dualPromptTaskPrompts(int promptLength, int keyDim, String query) {
        return new PromptPoolConfig("dualprompt-e", promptLength, keyDim, PromptQueries.single(query), Growth.PER_TASK, 0,
                new FreeKeys(), PromptScore.COSINE, new ArgmaxSelector(true), PromptComposer.AFTER_BOS, new CurrentKeyLoss(1f),
                Trainable.CURRENT_ENTRY);
    }

    /**
     * S-Prompts: one prompt per task whose keys are k-means centroids of the task's training queries; the entry of
     * the nearest centroid at test.
     */
    public static PromptPoolConfig sPrompts(int promptLength, int keyDim, String query, int centroids) {
        return new PromptPoolConfig("s-prompts", promptLength, keyDim, PromptQueries.single(query), Growth.PER_TASK, 0,
                new CentroidKeys(centroids), PromptScore.COSINE, new ArgmaxSelector(true), PromptComposer.AFTER_BOS, KeyLoss.NONE,
                Trainable.CURRENT_ENTRY);
    }

    // ------------------------------------------------------------------------------------------- pool.json

    private static final Set<String> FIELDS = Set.of("method", "promptLength", "keyDim", "queries", "growth", "poolSize", "keys",
            "score", "selector", "composer", "keyLoss", "trainable");

    /** The configuration as pool.json holds it (format 2): plain maps, lists, strings, numbers and booleans. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("promptLength", promptLength);
        m.put("keyDim", keyDim);
        List<Float> w = new ArrayList<>();
        for (float x : queries.weights()) w.add(x);
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("names", queries.names());
        q.put("weights", w);
        m.put("queries", q);
        m.put("growth", growth.name());
        m.put("poolSize", poolSize);
        m.put("keys", PromptParts.describe(keys.type(), keys.settings()));
        m.put("score", PromptParts.describe(score.type(), score.settings()));
        m.put("selector", PromptParts.describe(selector.type(), selector.settings()));
        m.put("composer", PromptParts.describe(composer.type(), composer.settings()));
        m.put("keyLoss", PromptParts.describe(keyLoss.type(), keyLoss.settings()));
        m.put("trainable", trainable.name());
        return m;
    }

    /**
     * The configuration that {@code toMap()} wrote (format 2), or a format-1 configuration (flat fields, parts named
     * by enum constants); strict: an unknown or missing key is an error naming its path under "config".
     */
    @SuppressWarnings("unchecked")
    public static PromptPoolConfig fromMap(Map<String, Object> m) {
        if (m.get("keys") instanceof String) return fromFormat1(m);
        for (String k : m.keySet()) if (!FIELDS.contains(k)) throw new IllegalArgumentException("unknown setting config." + k);
        Object q = m.get("queries");
        if (!(q instanceof Map<?, ?> qm) || !(qm.get("names") instanceof List<?> names) || !(qm.get("weights") instanceof List<?> weights)
                || qm.size() != 2) {
            throw new IllegalArgumentException("config.queries must be {\"names\": [...], \"weights\": [...]}");
        }
        return new PromptPoolConfig(string(m, "method"), integer(m, "promptLength"), integer(m, "keyDim"),
                new PromptQueries(strings(names, "config.queries.names"), floats(weights, "config.queries.weights")),
                Growth.valueOf(string(m, "growth")), integer(m, "poolSize"),
                PromptParts.keySource(m.get("keys"), "config.keys"), PromptParts.score(m.get("score"), "config.score"),
                PromptParts.selector(m.get("selector"), "config.selector"), PromptParts.composer(m.get("composer"), "config.composer"),
                PromptParts.keyLoss(m.get("keyLoss"), "config.keyLoss"), Trainable.valueOf(string(m, "trainable")));
    }

    /** Format 1: the same pool, its parts named by the enum constants of the first PromptPoolConfig. */
    private static PromptPoolConfig fromFormat1(Map<String, Object> m) {
        if (!(m.get("queries") instanceof List<?> names) || !(m.get("queryWeights") instanceof List<?> weights)) {
            throw new IllegalArgumentException("config.queries and config.queryWeights must be lists");
        }
        boolean force = bool(m, "forceCurrent");
        float keyLossWeight = (float) number(m, "keyLossWeight");
        KeySource keys = switch (string(m, "keys")) {
            case "DERIVED_MLP" -> new DerivedMlpKeys();
            case "FREE" -> new FreeKeys();
            case "CENTROIDS" -> new CentroidKeys(integer(m, "centroidsPerEntry"));
            default -> throw new IllegalArgumentException("config.keys: unknown key source " + m.get("keys"));
        };
        PromptScore score = switch (string(m, "score")) {
            case "COSINE" -> PromptScore.COSINE;
            case "NEG_L2" -> PromptScore.NEG_L2;
            default -> throw new IllegalArgumentException("config.score: unknown score " + m.get("score"));
        };
        PromptSelector selector = switch (string(m, "selector")) {
            case "TOP_K" -> new TopKSelector(integer(m, "topK"), force);
            case "ARGMAX" -> new ArgmaxSelector(force);
            case "SOFT" -> new SoftSelector(force);
            default -> throw new IllegalArgumentException("config.selector: unknown selector " + m.get("selector"));
        };
        PromptComposer composer = switch (string(m, "composer")) {
            case "CONCAT_AFTER_BOS" -> PromptComposer.AFTER_BOS;
            case "PREFIX" -> PromptComposer.PREFIX;
            case "WEIGHTED_SUM" -> PromptComposer.WEIGHTED_SUM;
            default -> throw new IllegalArgumentException("config.composer: unknown composer " + m.get("composer"));
        };
        KeyLoss keyLoss = switch (string(m, "keyLoss")) {
            case "NONE" -> KeyLoss.NONE;
            case "CURRENT" -> new CurrentKeyLoss(keyLossWeight);
            case "SELECTED" -> new SelectedKeyLoss(keyLossWeight);
            default -> throw new IllegalArgumentException("config.keyLoss: unknown key loss " + m.get("keyLoss"));
        };
        return new PromptPoolConfig(string(m, "method"), integer(m, "promptLength"), integer(m, "keyDim"),
                new PromptQueries(strings(names, "config.queries"), floats(weights, "config.queryWeights")),
                Growth.valueOf(string(m, "growth")), integer(m, "poolSize"), keys, score, selector, composer, keyLoss,
                Trainable.valueOf(string(m, "trainable")));
    }

    private static String string(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof String s)) throw new IllegalArgumentException("config." + k + " must be a string, got " + m.get(k));
        return s;
    }

    private static int integer(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("config." + k + " must be an integer, got " + m.get(k));
        }
        return n.intValue();
    }

    private static double number(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("config." + k + " must be a number, got " + m.get(k));
        return n.doubleValue();
    }

    private static boolean bool(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Boolean b)) throw new IllegalArgumentException("config." + k + " must be true or false, got " + m.get(k));
        return b;
    }

    private static List<String> strings(List<?> list, String path) {
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) throw new IllegalArgumentException(path + " must hold strings, got " + o);
            out.add(s);
        }
        return out;
    }

    private static float[] floats(List<?> list, String path) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n)) throw new IllegalArgumentException(path + " must hold numbers, got " + list.get(i));
            out[i] = n.floatValue();
        }
        return out;
    }
}
