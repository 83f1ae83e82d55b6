/*
 * The named LLaVA shapes `perennial synth` writes (the 7B-scale issue, item 1): the test checkpoint's `tiny`, the
 * 221M `bench-221m` of the training-engine measurements, and LLaVA-1.5's `llava-1.5-7b` and `llava-1.5-13b` in
 * llava-hf layout (LLaMA-2 decoder with vocabulary 32064, CLIP ViT-L/14 at 336 px, feature layer -2 with the CLS
 * token dropped, projector mlp2x_gelu, image token 32000, pad 32001). A shape also writes its config.json and
 * generation_config.json as transformers 4.40 does, and counts its parameters without any weight existing.
 */
package dev.perennial.benchdata;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.tensor.DType;

import java.util.List;
import java.util.Locale;

/**
 * A named LLaVA shape: decoder and CLIP tower configurations, image and pad token ids; its config files and
 * parameter count.
 * <p>Immutable; safe to share between threads.
 *
 * @param name            the shape's name ({@code perennial synth --shape})
 * @param text            the LLaMA decoder
 * @param vision          the CLIP vision tower
 * @param imageTokenIndex the image placeholder id
 * @param padTokenId      the padding id
 */
public record ModelShape(String name, LlamaConfig text, ClipVisionConfig vision, int imageTokenIndex, int padTokenId) {
    /** The shapes {@code byName} knows, in order. */
    public static final List<String> NAMES = List.of("tiny", "bench-221m", "llava-1.5-7b", "llava-1.5-13b");

    /** The shape called {@code name}; a clear error naming the known ones otherwise. */
    public static ModelShape byName(String name) {
        ClipVisionConfig vitL336 = new ClipVisionConfig(1024, 4096, 24, 16, 336, 14, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU);
        return switch (name) {
            case "tiny" -> new ModelShape(name, new LlamaConfig(64, 96, 2, 4, 2, 320, 1e-5f, 10000f, 256, false, 1, 2),
                    new ClipVisionConfig(32, 37, 2, 4, 30, 6, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU), 300, 301);
            case "bench-221m" -> new ModelShape(name, new LlamaConfig(768, 2048, 12, 12, 12, 32064, 1e-5f, 10000f, 4096, false, 1, 2),
                    new ClipVisionConfig(768, 3072, 12, 12, 224, 16, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU), 32000, 32001);
            case "llava-1.5-7b" -> new ModelShape(name, new LlamaConfig(4096, 11008, 32, 32, 32, 32064, 1e-5f, 10000f, 4096, false, 1, 2),
                    vitL336, 32000, 32001);
            case "llava-1.5-13b" -> new ModelShape(name, new LlamaConfig(5120, 13824, 40, 40, 40, 32064, 1e-5f, 10000f, 4096, false, 1, 2),
                    vitL336, 32000, 32001);
            default -> throw new IllegalArgumentException("unknown shape '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }

    /** Every parameter of the checkpoint (vision tower, projector, decoder, head), counted from the shapes. */
    public long parameterCount() {
        long n = 0;
        for (SyntheticWeights.Spec s : SyntheticWeights.specs(this)) n += s.numel();
        return n;
    }

    /** config.json as transformers 4.40 writes a LlavaConfig (torch_dtype from {@code dtype}). */
    public String configJson(DType dtype) {
        LlamaConfig t = text;
        ClipVisionConfig v = vision;
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["LlavaForConditionalGeneration"],
                  "ignore_index": -100,
                  "image_token_index": %d,
                  "model_type": "llava",
                  "pad_token_id": %d,
                  "projector_hidden_act": "gelu",
                  "text_config": {
                    "model_type": "llama", "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                    "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d, "rms_norm_eps": %s,
                    "rope_theta": %s, "max_position_embeddings": %d, "tie_word_embeddings": %s,
                    "bos_token_id": %d, "eos_token_id": %d, "pad_token_id": %d
                  },
                  "torch_dtype": "%s",
                  "transformers_version": "4.40.0",
                  "vision_config": {
                    "model_type": "clip_vision_model", "hidden_size": %d, "intermediate_size": %d,
                    "num_hidden_layers": %d, "num_attention_heads": %d, "image_size": %d, "patch_size": %d,
                    "num_channels": %d, "layer_norm_eps": %s, "hidden_act": "%s"
                  },
                  "vision_feature_layer": -2,
                  "vision_feature_select_strategy": "default"
                }
                """, imageTokenIndex, padTokenId, t.hiddenSize(), t.intermediateSize(), t.numLayers(), t.numHeads(), t.numKvHeads(),
                t.vocabSize(), Float.toString(t.rmsNormEps()), Float.toString(t.ropeTheta()), t.maxPositions(), t.tieWordEmbeddings(),
                t.bosTokenId(), t.eosTokenId(), padTokenId, torchDtype(dtype), v.hiddenSize(), v.intermediateSize(), v.numLayers(),
                v.numHeads(), v.imageSize(), v.patchSize(), v.numChannels(), Float.toString(v.layerNormEps()),
                v.hiddenAct() == ClipVisionConfig.Activation.QUICK_GELU ? "quick_gelu" : "gelu");
    }

    /** generation_config.json as transformers writes it from the model config (greedy by default). */
    public String generationConfigJson() {
        return String.format(Locale.ROOT, """
                {
                  "_from_model_config": true,
                  "bos_token_id": %d,
                  "eos_token_id": %d,
                  "pad_token_id": %d,
                  "transformers_version": "4.40.0"
                }
                """, text.bosTokenId(), text.eosTokenId(), padTokenId);
    }

    /** transformers' torch_dtype name of a storage dtype. */
    public static String torchDtype(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("checkpoint weights are F32, F16 or BF16, not " + dtype);
        };
    }
}
