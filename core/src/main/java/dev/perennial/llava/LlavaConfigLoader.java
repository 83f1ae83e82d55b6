/*
 * Reads a LLaVA checkpoint's config.json in either dialect (docs/methods/llava-numerics.md):
 *  - llava-hf (LlavaForConditionalGeneration): nested text_config (LlamaConfig) and vision_config
 *    (CLIPVisionConfig), image_token_index, vision_feature_layer, vision_feature_select_strategy,
 *    projector_hidden_act; defaults are transformers' (values equal to a default are omitted from the file);
 *  - haotian-liu/LLaVA (LlavaLlamaForCausalLM / model_type llava_llama): flat Llama fields plus mm_vision_tower,
 *    mm_projector_type, mm_vision_select_layer, mm_vision_select_feature, image_aspect_ratio; the CLIP config
 *    comes from a separate folder (mm_vision_tower when it is a local path or a Hugging Face id in the local cache, a vision_tower/ sub-folder, or one
 *    given by the caller) — never downloaded.
 * Anything this library does not implement (other projectors, rope scaling, anyres, im_start/end tokens,
 * non-SiLU LLaMA, attention biases, multi-layer features) is refused with the key named, so an unsupported
 * checkpoint never loads as a silently different model.
 */
package dev.perennial.llava;

import com.fasterxml.jackson.databind.JsonNode;
import dev.perennial.llava.LlavaConfig.Dialect;
import dev.perennial.llava.LlavaConfig.FeatureStrategy;
import dev.perennial.llava.LlavaConfig.ProjectorType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

final class LlavaConfigLoader {
    private LlavaConfigLoader() {}

    /** Image placeholder of the original code base (llava/constants.py IMAGE_TOKEN_INDEX). */
    static final int ORIGINAL_IMAGE_TOKEN = -200;

    static LlavaConfig load(Path modelDir, Path visionTowerDir) throws IOException {
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve("config.json") : modelDir;
        JsonConfig json = JsonConfig.read(file);
        String arch = json.firstString("architectures");
        String modelType = json.string("model_type", "");
        if ("llava".equals(modelType) || "LlavaForConditionalGeneration".equals(arch)) return hf(json);
        if (modelType.startsWith("llava_llama") || "LlavaLlamaForCausalLM".equals(arch) || json.has("mm_vision_tower")) {
            return original(json, file.getParent(), visionTowerDir);
        }
        throw json.error("model_type", "'" + modelType + "' (architectures " + arch
                + ") is not a LLaVA model; expected llava (llava-hf) or llava_llama (haotian-liu/LLaVA)");
    }

    // ------------------------------------------------------------------------------------------- llava-hf

    private static LlavaConfig hf(JsonConfig json) throws IOException {
        JsonConfig tc = json.child("text_config");
        String textType = tc.string("model_type", "llama");
        if (!textType.equals("llama")) throw tc.error("model_type", "'" + textType + "' is not supported (llama only)");
        LlamaConfig text = llama(tc, 32000);
        ClipVisionConfig vision = ClipVisionConfig.from(json.child("vision_config"));
        JsonNode layer = json.raw("vision_feature_layer");
        if (layer != null && !layer.isNull() && !layer.isIntegralNumber()) {
            throw json.error("vision_feature_layer", "only a single layer index is supported, got " + layer);
        }
        String strategy = json.string("vision_feature_select_strategy", "default");
        FeatureStrategy fs = switch (strategy) {
            case "default" -> FeatureStrategy.DEFAULT;
            case "full" -> FeatureStrategy.FULL;
            default -> throw json.error("vision_feature_select_strategy", "'" + strategy + "' is not supported (default, full)");
        };
        String act = json.string("projector_hidden_act", "gelu");
        if (!act.equals("gelu")) throw json.error("projector_hidden_act", "'" + act + "' is not supported (gelu)");
        if (json.bool("multimodal_projector_bias", true) == false) {
            throw json.error("multimodal_projector_bias", "a projector without bias is not supported");
        }
        int imageToken = json.integer("image_token_index", 32000);
        return validated(json, new LlavaConfig(Dialect.HF, text, vision, imageToken,
                json.integer("vision_feature_layer", -2), fs, ProjectorType.MLP2X_GELU,
                json.integer("ignore_index", -100), json.integer("pad_token_id", tc.integer("pad_token_id", 0)),
                false, null));
    }

    // ------------------------------------------------------------------------------------------- original

    private static LlavaConfig original(JsonConfig json, Path modelDir, Path visionTowerDir) throws IOException {
        LlamaConfig text = llama(json, 32000);
        String projector = json.string("mm_projector_type", "linear");
        ProjectorType pt = switch (projector) {
            case "linear" -> ProjectorType.LINEAR;
            case "mlp2x_gelu" -> ProjectorType.MLP2X_GELU;
            default -> throw json.error("mm_projector_type", "'" + projector + "' is not supported (linear, mlp2x_gelu)");
        };
        String select = json.string("mm_vision_select_feature", "patch");
        FeatureStrategy fs = switch (select) {
            case "patch" -> FeatureStrategy.DEFAULT;
            case "cls_patch" -> FeatureStrategy.FULL;
            default -> throw json.error("mm_vision_select_feature", "'" + select + "' is not supported (patch, cls_patch)");
        };
        String aspect = json.string("image_aspect_ratio", "square");
        boolean pad = switch (aspect) {
            case "pad" -> true;
            case "square" -> false;
            default -> throw json.error("image_aspect_ratio", "'" + aspect + "' is not supported (pad, square; anyres is LLaVA-NeXT)");
        };
        String merge = json.string("mm_patch_merge_type", "flat");
        if (!merge.equals("flat")) throw json.error("mm_patch_merge_type", "'" + merge + "' is not supported (flat)");
        if (json.bool("mm_use_im_start_end", false)) {
            throw json.error("mm_use_im_start_end", "image start/end tokens are not supported (LLaVA-1.5 does not use them)");
        }
        Path towerDir = visionTowerDir(json, modelDir, visionTowerDir);
        ClipVisionConfig vision = ClipVisionConfig.from(JsonConfig.read(towerDir.resolve("config.json")).childOrSelf("vision_config"));
        if (json.has("mm_hidden_size") && json.integer("mm_hidden_size", 0) != vision.hiddenSize()) {
            throw json.error("mm_hidden_size", json.integer("mm_hidden_size", 0) + " does not match the vision tower's hidden_size "
                    + vision.hiddenSize());
        }
        return validated(json, new LlavaConfig(Dialect.ORIGINAL, text, vision, ORIGINAL_IMAGE_TOKEN,
                json.integer("mm_vision_select_layer", -2), fs, pt, -100, json.integer("pad_token_id", 0), pad, towerDir));
    }

    /**
     * The caller's folder when given; else mm_vision_tower as a local folder (relative to the model, or as written),
     * else the model's vision_tower/ folder, else mm_vision_tower as a Hugging Face id found in the local hub cache
     * (HuggingFaceCache: "openai/clip-vit-large-patch14-336", as original LLaVA configs name it; never downloaded).
     */
    private static Path visionTowerDir(JsonConfig json, Path modelDir, Path given) throws IOException {
        if (given != null) {
            if (!Files.isRegularFile(given.resolve("config.json"))) {
                throw new NoSuchFileException(given.toString(), null, "vision tower folder has no config.json");
            }
            return given;
        }
        String tower = json.string("mm_vision_tower", null);
        if (tower == null) throw json.error("mm_vision_tower", "is required for an original LLaVA checkpoint");
        for (int i = 0; i < 3; i++) {
            try {   // resolving is inside the try: a name with a NUL character is no path here (InvalidPathException)
                Path candidate = i == 0 ? modelDir.resolve(tower) : i == 1 ? Path.of(tower) : modelDir.resolve("vision_tower");
                if (Files.isRegularFile(candidate.resolve("config.json"))) return candidate.normalize();
            } catch (java.nio.file.InvalidPathException ignored) {
                // not a usable path on this system: try the next candidate
            }
        }
        String cacheNote = "";
        try {
            Path cached = dev.perennial.io.HuggingFaceCache.resolve(tower);
            if (Files.isRegularFile(cached.resolve("config.json"))) return cached;
        } catch (NoSuchFileException e) {
            cacheNote = ", nor a model in the Hugging Face cache (" + e.getReason() + ")";
        } catch (java.nio.file.InvalidPathException ignored) {
            // not a usable path either: reported below
        }
        throw json.error("mm_vision_tower", "'" + tower + "' is not a local folder with a config.json (and the model has no "
                + "vision_tower/ folder" + cacheNote + "); download that CLIP checkpoint and pass its folder explicitly");
    }

    // ------------------------------------------------------------------------------------------- parts

    private static LlamaConfig llama(JsonConfig c, int defaultVocab) throws ModelConfigException {
        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) throw c.error("hidden_act", "'" + act + "' is not supported (silu)");
        JsonNode scaling = c.raw("rope_scaling");
        if (scaling != null && !scaling.isNull()) throw c.error("rope_scaling", "RoPE scaling is not supported, got " + scaling);
        if (c.bool("attention_bias", false)) throw c.error("attention_bias", "attention biases are not supported");
        if (c.bool("mlp_bias", false)) throw c.error("mlp_bias", "MLP biases are not supported");
        if (c.integer("pretraining_tp", 1) != 1) throw c.error("pretraining_tp", "tensor-parallel slicing is not supported");
        int heads = c.positive("num_attention_heads", 32);
        int hidden = c.positive("hidden_size", 4096);
        if (c.has("head_dim") && c.integer("head_dim", 0) != hidden / heads) {
            throw c.error("head_dim", "must equal hidden_size / num_attention_heads");
        }
        try {
            return new LlamaConfig(hidden, c.positive("intermediate_size", 11008), c.positive("num_hidden_layers", 32),
                    heads, c.positive("num_key_value_heads", heads), c.positive("vocab_size", defaultVocab),
                    (float) c.number("rms_norm_eps", 1e-6), (float) c.number("rope_theta", 10000.0),
                    c.positive("max_position_embeddings", 2048), c.bool("tie_word_embeddings", false),
                    c.integer("bos_token_id", 1), c.integer("eos_token_id", 2));
        } catch (IllegalArgumentException e) {
            throw c.error("num_attention_heads", e.getMessage());
        }
    }

    /** Cross-field checks that need both halves. */
    private static LlavaConfig validated(JsonConfig json, LlavaConfig cfg) throws ModelConfigException {
        int layers = cfg.vision().numLayers();
        int idx = cfg.featureLayerIndex();
        if (idx < 0 || idx > layers) {
            throw json.error(cfg.dialect() == Dialect.HF ? "vision_feature_layer" : "mm_vision_select_layer",
                    cfg.visionFeatureLayer() + " is outside the tower's " + (layers + 1) + " hidden states");
        }
        if (cfg.dialect() == Dialect.HF && (cfg.imageTokenIndex() < 0 || cfg.imageTokenIndex() >= cfg.text().vocabSize())) {
            throw json.error("image_token_index", cfg.imageTokenIndex() + " is outside the vocabulary of " + cfg.text().vocabSize());
        }
        return cfg;
    }
}
