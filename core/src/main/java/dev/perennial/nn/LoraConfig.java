/*
 * Which linear layers get LoRA adapters and how (PEFT's LoraConfig fields): rank r, alpha (scaling alpha / r),
 * dropout, and the target modules as a regular expression that must match a whole module name — the form PEFT
 * accepts for target_modules as a string, so a saved adapter_config.json means the same thing in Python. A PEFT
 * list of module-name suffixes converts with fromSuffixes(). The default is what LLaVA's LoRA fine-tuning uses:
 * every q/k/v/o and gate/up/down projection of the language model (not the vision tower, projector or lm_head).
 *
 * PEFT's per-module settings are honoured as PEFT applies them: rank_pattern and alpha_pattern map a key to a rank or
 * alpha, and a module takes the first key (rank_pattern's keys, then alpha_pattern's) that matches its name as the
 * regular expression (.*\.)?KEY$ from the start; use_rslora scales by alpha / √r instead of alpha / r (Kalajdzievski
 * 2023, "A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA").
 */
package dev.perennial.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * PEFT-compatible LoRA settings: rank r, alpha (scaling alpha / r, or alpha / sqrt(r) with rsLoRA), dropout
 * probability in [0, 1), the targeted linear layers as a regular expression matching whole module names, and
 * per-module rank and alpha overrides ({@code rank_pattern}, {@code alpha_pattern}).
 * <p>Immutable; safe to share between threads (a record whose maps are unmodifiable copies).
 */
public record LoraConfig(int rank, float alpha, float dropout, String targetModules, boolean useRslora,
                         Map<String, Integer> rankPattern, Map<String, Float> alphaPattern) {
    /** The language model's attention and MLP projections (llava-hf module names). */
    public static final String LLM_PROJECTIONS =
            "language_model\\.model\\.layers\\.\\d+\\.(?:self_attn\\.(?:q|k|v|o)_proj|mlp\\.(?:gate|up|down)_proj)";

    public LoraConfig {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive");
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1)");
        Pattern.compile(targetModules);
        rankPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        for (var e : rankPattern.entrySet()) {
            if (e.getValue() <= 0) throw new IllegalArgumentException("rank_pattern " + e.getKey() + ": rank must be positive");
        }
    }

    /** Plain LoRA: one rank and alpha for every targeted module, scaling alpha / r. */
    public LoraConfig(int rank, float alpha, float dropout, String targetModules) {
        this(rank, alpha, dropout, targetModules, false, Map.of(), Map.of());
    }

    /** The LLaVA default targets with the given rank, alpha and dropout. */
    public static LoraConfig llm(int rank, float alpha, float dropout) {
        return new LoraConfig(rank, alpha, dropout, LLM_PROJECTIONS);
    }

    /** PEFT's list form: a module is targeted when its name is, or ends with "." + , one of the suffixes. */
    public static String fromSuffixes(List<String> suffixes) {
        StringBuilder alt = new StringBuilder();
        for (String s : suffixes) alt.append(alt.length() == 0 ? "" : "|").append(Pattern.quote(s));
        return "(?:.*\\.)?(?:" + alt + ")";
    }

    /** True when the linear layer called {@code moduleName} gets an adapter. */
    public boolean targets(String moduleName) {
        return moduleName.matches(targetModules);
    }

    /** The scaling of modules without a pattern: alpha / r, or alpha / √r with rsLoRA. */
    public float scaling() { return scaling(alpha, rank); }

    private float scaling(float a, int r) { return useRslora ? (float) (a / Math.sqrt(r)) : a / r; }

    /** PEFT's pattern key of {@code module}, or null: the first rank_pattern, then alpha_pattern key matching it. */
    String patternKey(String module) {
        for (Map<String, ?> keys : List.of(rankPattern, alphaPattern)) {
            for (String key : keys.keySet()) if (Pattern.compile("(.*\\.)?" + key + "$").matcher(module).lookingAt()) return key;
        }
        return null;
    }

    /** The rank of {@code module} (rank_pattern, else r). */
    public int rankOf(String module) {
        String key = patternKey(module);
        return key == null ? rank : rankPattern.getOrDefault(key, rank);
    }

    /** The alpha of {@code module} (alpha_pattern, else lora_alpha). */
    public float alphaOf(String module) {
        String key = patternKey(module);
        return key == null ? alpha : alphaPattern.getOrDefault(key, alpha);
    }

    /** The scaling of {@code module}'s adapter: its alpha over its rank (or over √rank with rsLoRA). */
    public float scalingOf(String module) { return scaling(alphaOf(module), rankOf(module)); }
}
