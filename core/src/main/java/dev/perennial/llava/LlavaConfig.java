/*
 * Everything that defines a LLaVA-1.5 model, whichever dialect its checkpoint was written in
 * (docs/methods/llava-numerics.md): the decoder and vision tower configs, how image features are chosen and projected, and
 * how an image is marked in input ids. Loaded by LlavaConfigLoader.
 */
package dev.perennial.llava;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything that defines a LLaVA-1.5 model, read from a checkpoint folder in either dialect (llava-hf or original):
 * the decoder and vision-tower configs, the image token id, which CLIP layer and tokens become image features, the
 * projector type, the label ignore index (-100), the padding id and image padding, and the separate vision tower
 * folder.
 * <p>Immutable; safe to share between threads (a record of numbers, enums, immutable configs and a {@code Path}).
 */
public record LlavaConfig(
        Dialect dialect,
        LlamaConfig text,
        ClipVisionConfig vision,
        int imageTokenIndex,          // HF: image_token_index (an id in the vocab); original: -200
        int visionFeatureLayer,       // index into CLIP hidden_states (0 = embeddings), negative from the end
        FeatureStrategy featureStrategy,
        ProjectorType projectorType,
        int ignoreIndex,              // label value excluded from the loss (-100)
        int padTokenId,
        boolean padImageToSquare,     // original LLaVA image_aspect_ratio "pad"; llava-hf does not pad
        Path visionTowerDir) {        // original dialect: folder of the separate CLIP checkpoint, else null

    /** Which naming scheme and config layout the checkpoint uses. */
    public enum Dialect {
        /** llava-hf: LlavaForConditionalGeneration with nested text_config / vision_config. */
        HF,
        /** haotian-liu/LLaVA: LlavaLlamaForCausalLM with flat Llama fields and mm_* keys. */
        ORIGINAL
    }

    /** Which CLIP tokens become image features. */
    public enum FeatureStrategy {
        /** Drop the class token (HF "default", original "patch"). */
        DEFAULT,
        /** Keep it (HF "full", original "cls_patch"). */
        FULL
    }

    /** The multimodal projector. */
    public enum ProjectorType {
        /** One linear layer (original "linear"). */
        LINEAR,
        /** Linear -> GELU(erf) -> Linear (llava-hf; original "mlp2x_gelu"). */
        MLP2X_GELU
    }

    /** Image features spliced in per image: patches, plus the class token under FULL. */
    public int imageFeatureCount() {
        return vision.numPatches() + (featureStrategy == FeatureStrategy.FULL ? 1 : 0);
    }

    /** The CLIP hidden-state index the features are taken from, in [0, numLayers]. */
    public int featureLayerIndex() {
        int n = vision.numLayers() + 1;    // embeddings + one per layer
        return visionFeatureLayer < 0 ? n + visionFeatureLayer : visionFeatureLayer;
    }

    /** Reads the config of a checkpoint folder (either dialect, detected). */
    public static LlavaConfig load(Path modelDir) throws IOException {
        return LlavaConfigLoader.load(modelDir, null);
    }

    /** As load(modelDir), with the CLIP vision tower folder given explicitly (original dialect). */
    public static LlavaConfig load(Path modelDir, Path visionTowerDir) throws IOException {
        return LlavaConfigLoader.load(modelDir, visionTowerDir);
    }
}
