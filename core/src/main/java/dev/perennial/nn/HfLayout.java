/*
 * The two layouts of llava-hf names on disk. Checkpoints (and PEFT adapters trained against them) saved by
 * transformers 4.52 and later nest the modules under "model.": vision_tower.R -> model.vision_tower.R,
 * multi_modal_projector.R -> model.multi_modal_projector.R, language_model.model.R -> model.language_model.R and
 * language_model.lm_head.R -> lm_head.R. Perennial names modules the earlier way and maps when it reads.
 */
package dev.perennial.nn;

/**
 * Maps a llava-hf tensor or module name to the layout transformers 4.52 and later save (for example
 * {@code language_model.model.X} to {@code model.language_model.X}).
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class HfLayout {
    private HfLayout() {}

    /** The transformers >= 4.52 name of the llava-hf tensor or module {@code name}. */
    public static String nested(String name) {
        if (name.startsWith("language_model.model.")) return "model.language_model." + name.substring("language_model.model.".length());
        if (name.startsWith("language_model.lm_head")) return name.substring("language_model.".length());
        if (name.startsWith("vision_tower.") || name.startsWith("multi_modal_projector.")) return "model." + name;
        return name;
    }
}
