/*
 * Writes a random-weight LLaVA checkpoint folder in llava-hf layout (config.json + model.safetensors) of any
 * size, so that tests and benchmarks run on models the code builds itself instead of downloading any
 * (brief: "tests use the tiny checkpoints ... or models the code itself builds"). Loaded with LlavaModel.load
 * like any real checkpoint. Weights are N(0, 0.02²) like transformers' initialiser, norms 1, biases 0, drawn
 * from a seeded generator so the same arguments give the same bytes.
 */
package dev.perennial.benchdata;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class SyntheticCheckpoint {
    private SyntheticCheckpoint() {}

    /**
     * Writes the checkpoint into {@code dir} (created if needed) and returns it.
     * @param text   decoder shape (bos/eos/theta/eps as given)
     * @param vision CLIP tower shape
     * @param imageTokenIndex id of the image placeholder (must be inside the vocabulary)
     * @param dtype  storage precision of the weights (F32, F16 or BF16)
     */
    public static Path write(Path dir, LlamaConfig text, ClipVisionConfig vision, int imageTokenIndex, DType dtype, long seed)
            throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> w = new LinkedHashMap<>();
        int dv = vision.hiddenSize(), iv = vision.intermediateSize(), ps = vision.patchSize();
        String v = "vision_tower.vision_model.";
        w.put(v + "embeddings.class_embedding", normal(rng, dv));
        w.put(v + "embeddings.patch_embedding.weight", normal(rng, dv, vision.numChannels(), ps, ps));
        w.put(v + "embeddings.position_embedding.weight", normal(rng, vision.numPatches() + 1, dv));
        norm(w, v + "pre_layrnorm", dv, true);
        for (int i = 0; i < vision.numLayers(); i++) {
            String l = v + "encoder.layers." + i + ".";
            for (String p : new String[]{"q_proj", "k_proj", "v_proj", "out_proj"}) linear(w, rng, l + "self_attn." + p, dv, dv, true);
            norm(w, l + "layer_norm1", dv, true);
            norm(w, l + "layer_norm2", dv, true);
            linear(w, rng, l + "mlp.fc1", iv, dv, true);
            linear(w, rng, l + "mlp.fc2", dv, iv, true);
        }
        norm(w, v + "post_layernorm", dv, true);
        int d = text.hiddenSize(), it = text.intermediateSize(), q = text.numHeads() * text.headDim(), kv = text.numKvHeads() * text.headDim();
        linear(w, rng, "multi_modal_projector.linear_1", d, dv, true);
        linear(w, rng, "multi_modal_projector.linear_2", d, d, true);
        String t = "language_model.model.";
        w.put(t + "embed_tokens.weight", normal(rng, text.vocabSize(), d));
        for (int i = 0; i < text.numLayers(); i++) {
            String l = t + "layers." + i + ".";
            linear(w, rng, l + "self_attn.q_proj", q, d, false);
            linear(w, rng, l + "self_attn.k_proj", kv, d, false);
            linear(w, rng, l + "self_attn.v_proj", kv, d, false);
            linear(w, rng, l + "self_attn.o_proj", d, q, false);
            linear(w, rng, l + "mlp.gate_proj", it, d, false);
            linear(w, rng, l + "mlp.up_proj", it, d, false);
            linear(w, rng, l + "mlp.down_proj", d, it, false);
            norm(w, l + "input_layernorm", d, false);
            norm(w, l + "post_attention_layernorm", d, false);
        }
        norm(w, t + "norm", d, false);
        if (!text.tieWordEmbeddings()) w.put("language_model.lm_head.weight", normal(rng, text.vocabSize(), d));
        Map<String, Tensor> stored = new LinkedHashMap<>();
        for (var e : w.entrySet()) stored.put(e.getKey(), dtype == DType.F32 ? e.getValue() : e.getValue().to(dtype));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), stored, Map.of("format", "pt"));
        String config = config(text, vision, imageTokenIndex, dtype);
        AtomicFiles.write(dir.resolve("config.json"), ch -> ch.write(ByteBuffer.wrap(config.getBytes(StandardCharsets.UTF_8))));
        for (Tensor x : w.values()) x.close();
        return dir;
    }

    private static Tensor normal(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.empty(DType.F32, shape);
        var f = t.storage().floats();
        for (int i = 0; i < t.numel(); i++) f.put(i, (float) (gaussian(rng) * 0.02));
        return t;
    }

    /** Standard normal by Box-Muller (SplittableRandom has no nextGaussian on JDK 17). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble(), v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static void linear(Map<String, Tensor> w, SplittableRandom rng, String name, int out, int in, boolean bias) {
        w.put(name + ".weight", normal(rng, out, in));
        if (bias) w.put(name + ".bias", Tensor.zeros(out));
    }

    private static void norm(Map<String, Tensor> w, String name, int d, boolean bias) {
        Tensor ones = Tensor.zeros(d);
        for (int i = 0; i < d; i++) ones.storage().setFloat(i, 1f);
        w.put(name + ".weight", ones);
        if (bias) w.put(name + ".bias", Tensor.zeros(d));
    }

    private static String config(LlamaConfig t, ClipVisionConfig v, int imageToken, DType dtype) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["LlavaForConditionalGeneration"],
                  "model_type": "llava",
                  "image_token_index": %d,
                  "pad_token_id": 0,
                  "projector_hidden_act": "gelu",
                  "vision_feature_layer": -2,
                  "vision_feature_select_strategy": "default",
                  "torch_dtype": "%s",
                  "text_config": {
                    "model_type": "llama", "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                    "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d, "rms_norm_eps": %s,
                    "rope_theta": %s, "max_position_embeddings": %d, "tie_word_embeddings": %s,
                    "bos_token_id": %d, "eos_token_id": %d
                  },
                  "vision_config": {
                    "model_type": "clip_vision_model", "hidden_size": %d, "intermediate_size": %d,
                    "num_hidden_layers": %d, "num_attention_heads": %d, "image_size": %d, "patch_size": %d,
                    "num_channels": %d, "layer_norm_eps": %s, "hidden_act": "%s"
                  }
                }
                """, imageToken, dtype == DType.F32 ? "float32" : dtype == DType.F16 ? "float16" : "bfloat16",
                t.hiddenSize(), t.intermediateSize(), t.numLayers(), t.numHeads(), t.numKvHeads(), t.vocabSize(),
                Float.toString(t.rmsNormEps()), Float.toString(t.ropeTheta()), t.maxPositions(), t.tieWordEmbeddings(),
                t.bosTokenId(), t.eosTokenId(), v.hiddenSize(), v.intermediateSize(), v.numLayers(), v.numHeads(),
                v.imageSize(), v.patchSize(), v.numChannels(), Float.toString(v.layerNormEps()),
                v.hiddenAct() == ClipVisionConfig.Activation.QUICK_GELU ? "quick_gelu" : "gelu");
    }
}
