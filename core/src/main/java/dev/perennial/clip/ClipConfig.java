/*
 * Which CLIP towers a checkpoint folder holds and their hyper-parameters, from its config.json
 * (core/src/test/resources/golden/clip/README.md "Model"; docs/methods/modalprompt.md section 4 reads both queries from one CLIPModel checkpoint):
 *   model_type "clip"              (CLIPModel): text_config + vision_config; projection_dim at the top level
 *   model_type "clip_text_model"   (CLIPTextModel[WithProjection]): the text tower only, its own projection_dim
 *   model_type "clip_vision_model" (CLIPVisionModel[WithProjection]): the vision tower only, its own projection_dim
 * As transformers' CLIPTextModel.from_pretrained does, only text_config / vision_config are read (the *_config_dict
 * copies that old openai configs also carry hold the same values). Omitted keys take transformers' defaults
 * (projection_dim 512).
 */
package dev.perennial.clip;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.JsonConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The configuration of a Hugging Face CLIP checkpoint: its text and vision towers and the projection width.
 * <p>Immutable; safe to share between threads (records of primitives and immutable configs).
 *
 * @param text          the text tower, or null for a vision-only checkpoint
 * @param vision        the vision tower, or null for a text-only checkpoint
 * @param projectionDim P, the output width of text_projection and visual_projection (when the checkpoint has them)
 */
public record ClipConfig(ClipTextConfig text, ClipVisionConfig vision, int projectionDim) {

    /** Reads {@code path}/config.json, or {@code path} itself when it is a file. */
    public static ClipConfig load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        JsonConfig json = JsonConfig.read(file);
        String type = json.string("model_type", "");
        return switch (type) {
            case "clip" -> new ClipConfig(ClipTextConfig.from(json.child("text_config")),
                    ClipVisionConfig.from(json.child("vision_config")), json.positive("projection_dim", 512));
            case "clip_text_model" -> new ClipConfig(ClipTextConfig.from(json), null, json.positive("projection_dim", 512));
            case "clip_vision_model" -> new ClipConfig(null, ClipVisionConfig.from(json), json.positive("projection_dim", 512));
            default -> throw json.error("model_type", "'" + type + "' is not a CLIP model (clip, clip_text_model, clip_vision_model)");
        };
    }
}
