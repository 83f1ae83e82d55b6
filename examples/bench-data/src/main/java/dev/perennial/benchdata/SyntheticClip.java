/*
 * Writes a random-weight CLIPModel checkpoint (config.json + model.safetensors in transformers' layout, both towers
 * and both projections) of any size, plus the CLIP BPE files when given, so tests and the built-in benchmark run
 * ModalPrompt's queries on a CLIP the code builds itself (brief: no downloads). Loaded with ClipModel.load like a
 * real checkpoint. Weights N(0, 0.02²), norms 1, biases 0, logit_scale ln(1/0.07), from a seeded generator.
 */
package dev.perennial.benchdata;

import dev.perennial.clip.ClipModel;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class SyntheticClip {
    private SyntheticClip() {}

    /**
     * The shape of the checkpoint. Text: vocab, width, layers, heads, MLP width; vision: image size, patch, width,
     * layers, heads, MLP width; projection width.
     */
    public record Shape(int vocab, int textHidden, int textLayers, int textHeads, int textIntermediate,
                        int imageSize, int patchSize, int visionHidden, int visionLayers, int visionHeads,
                        int visionIntermediate, int projection) {
        /** A tiny model with the real 49,408-id CLIP vocabulary whose text width equals the projection width. */
        public static Shape tiny(int width) {
            return new Shape(49408, width, 2, 2, 2 * width, 32, 8, width, 2, 2, 2 * width, width);
        }
    }

    /**
     * Writes the checkpoint into {@code dir} (created if needed); with {@code tokenizerDir} non-null its vocab.json and
     * merges.txt are copied next to it. Returns dir.
     */
    public static Path write(Path dir, Shape s, Path tokenizerDir, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("text_model.embeddings.token_embedding.weight", normal(rng, s.vocab(), s.textHidden()));
        w.put("text_model.embeddings.position_embedding.weight", normal(rng, 77, s.textHidden()));
        layers(w, rng, "text_model.encoder.layers.", s.textLayers(), s.textHidden(), s.textIntermediate());
        norm(w, "text_model.final_layer_norm", s.textHidden());
        int grid = s.imageSize() / s.patchSize();
        w.put("vision_model.embeddings.class_embedding", normal(rng, s.visionHidden()));
        w.put("vision_model.embeddings.patch_embedding.weight", normal(rng, s.visionHidden(), 3, s.patchSize(), s.patchSize()));
        w.put("vision_model.embeddings.position_embedding.weight", normal(rng, grid * grid + 1, s.visionHidden()));
        norm(w, "vision_model.pre_layrnorm", s.visionHidden());
        layers(w, rng, "vision_model.encoder.layers.", s.visionLayers(), s.visionHidden(), s.visionIntermediate());
        norm(w, "vision_model.post_layernorm", s.visionHidden());
        w.put("visual_projection.weight", normal(rng, s.projection(), s.visionHidden()));
        w.put("text_projection.weight", normal(rng, s.projection(), s.textHidden()));
        w.put("logit_scale", Tensor.scalar((float) Math.log(1 / 0.07)));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        String config = String.format(Locale.ROOT, """
                {
                  "architectures": ["CLIPModel"],
                  "model_type": "clip",
                  "projection_dim": %d,
                  "text_config": {"model_type": "clip_text_model", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d,
                                  "num_hidden_layers": %d, "num_attention_heads": %d, "max_position_embeddings": 77,
                                  "bos_token_id": 49406, "eos_token_id": 2, "hidden_act": "quick_gelu", "projection_dim": %d},
                  "vision_config": {"model_type": "clip_vision_model", "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                                    "num_attention_heads": %d, "image_size": %d, "patch_size": %d, "hidden_act": "quick_gelu",
                                    "projection_dim": %d}
                }
                """, s.projection(), s.vocab(), s.textHidden(), s.textIntermediate(), s.textLayers(), s.textHeads(), s.projection(),
                s.visionHidden(), s.visionIntermediate(), s.visionLayers(), s.visionHeads(), s.imageSize(), s.patchSize(), s.projection());
        AtomicFiles.write(dir.resolve("config.json"), config.getBytes(StandardCharsets.UTF_8));
        if (tokenizerDir != null) {
            for (String f : new String[]{"vocab.json", "merges.txt"}) {
                Files.copy(tokenizerDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private static void layers(Map<String, Tensor> w, SplittableRandom rng, String prefix, int n, int h, int inter) {
        for (int i = 0; i < n; i++) {
            String p = prefix + i + ".";
            for (String proj : new String[]{"q_proj", "k_proj", "v_proj", "out_proj"}) {
                w.put(p + "self_attn." + proj + ".weight", normal(rng, h, h));
                w.put(p + "self_attn." + proj + ".bias", Tensor.zeros(h));
            }
            norm(w, p + "layer_norm1", h);
            w.put(p + "mlp.fc1.weight", normal(rng, inter, h));
            w.put(p + "mlp.fc1.bias", Tensor.zeros(inter));
            w.put(p + "mlp.fc2.weight", normal(rng, h, inter));
            w.put(p + "mlp.fc2.bias", Tensor.zeros(h));
            norm(w, p + "layer_norm2", h);
        }
    }

    private static void norm(Map<String, Tensor> w, String name, int h) {
        float[] one = new float[h];
        java.util.Arrays.fill(one, 1f);
        w.put(name + ".weight", Tensor.of(one, h));
        w.put(name + ".bias", Tensor.zeros(h));
    }

    private static Tensor normal(SplittableRandom rng, int... shape) {
        int n = 1;
        for (int x : shape) n *= x;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            v[i] = (float) (0.02 * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return Tensor.of(v, shape);
    }
}
