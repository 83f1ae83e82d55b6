/*
 * The CLIP ViT vision tower's hyper-parameters (Hugging Face CLIPVisionConfig names in comments).
 * Defaults for omitted keys are CLIPVisionConfig's: quick_gelu, LayerNorm eps 1e-5, 3 channels.
 */
package dev.perennial.llava;

/**
 * The CLIP ViT vision tower's hyper-parameters as read from a Hugging Face config (omitted keys take CLIPVisionConfig's
 * defaults): hidden size D, MLP width, layers, heads, image size S and patch size p in pixels, channels, LayerNorm
 * epsilon and activation; an image has P = (S / p)^2 patches.
 * <p>Immutable; safe to share between threads (a record of numbers and an enum).
 */
public record ClipVisionConfig(
        int hiddenSize,         // hidden_size
        int intermediateSize,   // intermediate_size
        int numLayers,          // num_hidden_layers
        int numHeads,           // num_attention_heads
        int imageSize,          // image_size
        int patchSize,          // patch_size
        int numChannels,        // num_channels (default 3)
        float layerNormEps,     // layer_norm_eps (default 1e-5)
        Activation hiddenAct) { // hidden_act (default quick_gelu)

    /** MLP activations a CLIP tower (vision or text) may use. */
    public enum Activation { QUICK_GELU, GELU }

    public ClipVisionConfig {
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
    }

    /**
     * Reads a CLIPVisionConfig object (a CLIP config's vision_config, or a vision-only config.json), applying
     * CLIPVisionConfig's defaults to omitted keys (hidden 768, 12 layers and heads, inter 3072, image 224, patch 32).
     */
    public static ClipVisionConfig from(JsonConfig c) throws ModelConfigException {
        Activation a = activation(c);
        try {
            return new ClipVisionConfig(c.positive("hidden_size", 768), c.positive("intermediate_size", 3072),
                    c.positive("num_hidden_layers", 12), c.positive("num_attention_heads", 12),
                    c.positive("image_size", 224), c.positive("patch_size", 32), c.positive("num_channels", 3),
                    (float) c.number("layer_norm_eps", 1e-5), a);
        } catch (IllegalArgumentException e) {
            throw c.error("hidden_size", e.getMessage());
        }
    }

    /** hidden_act of a CLIP tower config (default quick_gelu); anything but quick_gelu and gelu is refused. */
    public static Activation activation(JsonConfig c) throws ModelConfigException {
        String act = c.string("hidden_act", "quick_gelu");
        return switch (act) {
            case "quick_gelu" -> Activation.QUICK_GELU;
            case "gelu" -> Activation.GELU;
            default -> throw c.error("hidden_act", "'" + act + "' is not supported (quick_gelu, gelu)");
        };
    }

    public int headDim() { return hiddenSize / numHeads; }

    /** Patches per image side. */
    public int gridSize() { return imageSize / patchSize; }

    /** Patches per image (without the class token). */
    public int numPatches() { return gridSize() * gridSize(); }
}
