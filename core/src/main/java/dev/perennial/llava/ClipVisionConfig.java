/*
 * The CLIP ViT vision tower's hyper-parameters (Hugging Face CLIPVisionConfig names in comments).
 * Defaults for omitted keys are CLIPVisionConfig's: quick_gelu, LayerNorm eps 1e-5, 3 channels.
 */
package dev.perennial.llava;

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

    /** MLP activations a CLIP vision tower may use. */
    public enum Activation { QUICK_GELU, GELU }

    public ClipVisionConfig {
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
    }

    public int headDim() { return hiddenSize / numHeads; }

    /** Patches per image side. */
    public int gridSize() { return imageSize / patchSize; }

    /** Patches per image (without the class token). */
    public int numPatches() { return gridSize() * gridSize(); }
}
