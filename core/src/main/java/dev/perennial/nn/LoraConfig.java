/*
 * Which linear layers get LoRA adapters and how (PEFT's LoraConfig fields): rank r, alpha (scaling alpha / r),
 * dropout, and the target modules as a regular expression that must match a whole module name — the form PEFT
 * accepts for target_modules as a string, so a saved adapter_config.json means the same thing in Python. A PEFT
 * list of module-name suffixes converts with fromSuffixes(). The default is what LLaVA's LoRA fine-tuning uses:
 * every q/k/v/o and gate/up/down projection of the language model (not the vision tower, projector or lm_head).
 */
package dev.perennial.nn;

import java.util.List;
import java.util.regex.Pattern;

public record LoraConfig(int rank, float alpha, float dropout, String targetModules) {
    /** The language model's attention and MLP projections (llava-hf module names). */
    public static final String LLM_PROJECTIONS =
            "language_model\\.model\\.layers\\.\\d+\\.(?:self_attn\\.(?:q|k|v|o)_proj|mlp\\.(?:gate|up|down)_proj)";

    public LoraConfig {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive");
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1)");
        Pattern.compile(targetModules);
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

    public float scaling() { return alpha / rank; }
}
