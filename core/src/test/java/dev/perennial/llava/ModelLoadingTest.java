/*
 * Loading real-world checkpoint variants and rejecting broken ones: F16/BF16 weights
 * stay memory-mapped in their precision, sharded checkpoints, an original checkpoint whose CLIP weights live
 * only in the separate vision tower folder, every missing / unexpected / mis-shaped tensor reported at once,
 * and config errors that name the file and key.
 */
package dev.perennial.llava;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class ModelLoadingTest {
    static final Backend BE = new CpuBackend();
    static Tensor pixels, goldenLogits;
    static long[] ids;

    @TempDir
    Path tmp;

    @BeforeAll
    static void goldens() throws IOException {
        pixels = npy("pixel_values");
        ids = npy("input_ids").toLongArray();
        goldenLogits = npy("logits");
    }

    private static Map<String, Tensor> tensors(Path checkpoint) throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(checkpoint)) {
            for (String n : src.names()) m.put(n, src.tensor(n));
        }
        return m;
    }

    /** A copy of the tiny HF checkpoint folder with the given tensors. */
    private Path hfVariant(String name, Map<String, Tensor> weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(Goldens.tinyHf().resolve("config.json"), dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        return dir;
    }

    private static Tensor logits(LlavaModel m, long[] seq) {
        return m.forward(BE, List.of(seq), pixels, null).logits();
    }

    @Test
    void halfPrecisionCheckpointsStayHalfAndStayClose() throws IOException {
        for (DType dt : new DType[]{DType.F16, DType.BF16}) {
            Map<String, Tensor> w = new LinkedHashMap<>();
            tensors(Goldens.tinyHf().resolve("model.safetensors")).forEach((k, v) -> w.put(k, v.to(dt)));
            try (LlavaModel m = LlavaModel.load(hfVariant(dt.name(), w))) {
                assertEquals(64, m.weights().size());
                for (Tensor t : m.weights().values()) assertEquals(dt, t.dtype(), "weights are not up-cast on load");
                double d = maxAbsDiff(logits(m, ids), goldenLogits);
                // rounding the weights moves logits (|logit| <= 12.6) by at most a few half-precision ulps
                double bound = dt == DType.F16 ? 0.02 : 0.2;
                assertTrue(d < bound, dt + " logits differ by " + d);
                assertTrue(d > 0, dt + " weights must really be rounded");
            }
        }
    }

    @Test
    void shardedCheckpointLoadsIdentically() throws IOException {
        Map<String, Tensor> all = tensors(Goldens.tinyHf().resolve("model.safetensors"));
        Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        int i = 0;
        for (var e : all.entrySet()) {
            boolean one = i++ % 2 == 0;
            (one ? first : second).put(e.getKey(), e.getValue());
            map.append(map.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"")
                    .append(one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
        }
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(Goldens.tinyHf().resolve("config.json"), dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of());
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of());
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        try (LlavaModel ref = LlavaModel.load(Goldens.tinyHf()); LlavaModel m = LlavaModel.load(dir)) {
            assertEquals(0.0, maxAbsDiff(logits(m, ids), logits(ref, ids)));
        }
    }

    /** The tiny original checkpoint without its CLIP weights, its config naming {@code tower} as mm_vision_tower. */
    private Path withoutClipWeights(String name, String tower) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), Files.readString(Goldens.tinyOriginal().resolve("config.json"))
                .replace("\"./vision_tower\"", "\"" + tower + "\""));
        Map<String, Tensor> w = new LinkedHashMap<>();
        tensors(Goldens.tinyOriginal().resolve("model.safetensors")).forEach((k, v) -> {
            if (!k.startsWith("model.vision_tower.")) w.put(k, v);
        });
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of());
        return dir;
    }

    /** The golden ids with the original dialect's image marker (-200) in place of llava-hf's. */
    private long[] originalIds() {
        long[] out = ids.clone();
        for (int i = 0; i < out.length; i++) if (out[i] == 300) out[i] = -200;
        return out;
    }

    @Test
    void originalCheckpointWithoutClipWeightsUsesTheVisionTowerFolder() throws IOException {
        Path dir = withoutClipWeights("orig", "./vision_tower");
        long[] originalIds = originalIds();
        // mm_vision_tower is "./vision_tower", which this folder lacks: it must be given explicitly
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> LlavaModel.load(dir));
        assertEquals("mm_vision_tower", e.key());
        try (LlavaModel m = LlavaModel.load(dir, Goldens.tinyOriginal().resolve("vision_tower"))) {
            assertTrue(maxAbsDiff(logits(m, originalIds), goldenLogits) <= 1e-4);
        }
    }

    // An original config names its CLIP tower by Hugging Face id ("openai/clip-vit-large-patch14-336"): with no local
    // folder of that name and no vision_tower/, the id is looked up in the local hub cache (here under a temporary
    // user.home), and a missing id names the cache folders searched.
    @Test
    void originalCheckpointFindsItsVisionTowerByIdInTheHuggingFaceCache() throws IOException {
        Path dir = withoutClipWeights("orig-id", "perennial-test/tiny-clip-tower");
        long[] originalIds = originalIds();
        Path home = tmp.resolve("home"), repo = home.resolve(".cache/huggingface/hub/models--perennial-test--tiny-clip-tower");
        String saved = System.getProperty("user.home");
        try {
            System.setProperty("user.home", home.toString());
            ModelConfigException missing = assertThrows(ModelConfigException.class, () -> LlavaModel.load(dir));
            assertEquals("mm_vision_tower", missing.key());
            assertTrue(missing.getMessage().contains("models--perennial-test--tiny-clip-tower"), missing.getMessage());
            Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs/main"), "0123abcd");
            try (var files = Files.list(Goldens.tinyOriginal().resolve("vision_tower"))) {
                for (Path f : files.toList()) Files.copy(f, snapshot.resolve(f.getFileName().toString()));
            }
            try (LlavaModel m = LlavaModel.load(dir)) {
                assertTrue(maxAbsDiff(logits(m, originalIds), goldenLogits) <= 1e-4);
            }
        } finally {
            System.setProperty("user.home", saved);
        }
    }

    @Test
    void originalLinearProjector() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("linear"));
        Files.writeString(dir.resolve("config.json"), Files.readString(Goldens.tinyOriginal().resolve("config.json"))
                .replace("\"mm_projector_type\": \"mlp2x_gelu\"", "\"mm_projector_type\": \"linear\""));
        Map<String, Tensor> w = new LinkedHashMap<>();
        tensors(Goldens.tinyOriginal().resolve("model.safetensors")).forEach((k, v) -> {
            if (k.startsWith("model.mm_projector.0.")) w.put(k.replace("mm_projector.0.", "mm_projector."), v);
            else if (!k.startsWith("model.mm_projector.")) w.put(k, v);
        });
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of());
        try (LlavaModel m = LlavaModel.load(dir, Goldens.tinyOriginal().resolve("vision_tower"))) {
            assertEquals(LlavaConfig.ProjectorType.LINEAR, m.config().projectorType());
            Tensor selected = npy("vision_selected_features");                       // [1, 25, 32]
            Tensor expected = dev.perennial.tensor.ReferenceBackend.INSTANCE.add(dev.perennial.tensor.ReferenceBackend.INSTANCE.matmul(
                    selected, w.get("model.mm_projector.weight").transpose(0, 1)), w.get("model.mm_projector.bias"));
            assertTrue(maxAbsDiff(m.imageFeatures(BE, pixels), expected) <= 1e-4);
        }
    }

    @Test
    void everyCheckpointProblemIsReportedAtOnce() throws IOException {
        Map<String, Tensor> w = tensors(Goldens.tinyHf().resolve("model.safetensors"));
        w.remove("language_model.model.layers.1.mlp.up_proj.weight");
        w.remove("vision_tower.vision_model.post_layernorm.bias");
        w.put("language_model.model.layers.0.self_attn.q_proj.weight", Tensor.zeros(64, 63));
        w.put("some.extra.weight", Tensor.zeros(2));
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> LlavaModel.load(hfVariant("broken", w)));
        assertEquals(List.of("vision_tower.vision_model.post_layernorm.bias", "language_model.model.layers.1.mlp.up_proj.weight"),
                e.missing().stream().sorted((a, b) -> -a.compareTo(b)).toList());
        assertEquals(List.of("some.extra.weight"), e.unexpected());
        assertEquals(List.of("language_model.model.layers.0.self_attn.q_proj.weight: expected [64, 64], found [64, 63]"), e.misShaped());
        assertTrue(e.getMessage().contains("missing 2") && e.getMessage().contains("unexpected 1") && e.getMessage().contains("wrong shape 1"));
    }

    private Path config(String name, String json) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), json);
        return dir;
    }

    private String hfConfigWith(String from, String to) throws IOException {
        String c = Files.readString(Goldens.tinyHf().resolve("config.json"));
        assertTrue(c.contains(from), from);
        return c.replace(from, to);
    }

    @Test
    void configErrorsNameFileAndKey() throws IOException {
        ModelConfigException bad = assertThrows(ModelConfigException.class,
                () -> LlavaConfig.load(config("syntax", "{\n  \"model_type\": \"llava\",\n  \"text_config\": {\"hidden_size\": }\n}")));
        assertTrue(bad.getMessage().contains("config.json") && bad.getMessage().contains("line 3"), bad.getMessage());

        ModelConfigException rope = assertThrows(ModelConfigException.class, () -> LlavaConfig.load(config("rope",
                hfConfigWith("\"rms_norm_eps\": 1e-05,", "\"rms_norm_eps\": 1e-05, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0},"))));
        assertEquals("text_config.rope_scaling", rope.key());

        ModelConfigException strategy = assertThrows(ModelConfigException.class, () -> LlavaConfig.load(config("strategy",
                hfConfigWith("\"vision_feature_select_strategy\": \"default\"", "\"vision_feature_select_strategy\": \"cls\""))));
        assertEquals("vision_feature_select_strategy", strategy.key());

        ModelConfigException layer = assertThrows(ModelConfigException.class, () -> LlavaConfig.load(config("layer",
                hfConfigWith("\"vision_feature_layer\": -2", "\"vision_feature_layer\": -7"))));
        assertEquals("vision_feature_layer", layer.key());

        ModelConfigException type = assertThrows(ModelConfigException.class, () -> LlavaConfig.load(config("type",
                "{\"model_type\": \"bert\", \"architectures\": [\"BertModel\"]}")));
        assertEquals("model_type", type.key());

        String orig = Files.readString(Goldens.tinyOriginal().resolve("config.json"));
        for (String[] c : new String[][]{
                {"\"mm_projector_type\": \"mlp2x_gelu\"", "\"mm_projector_type\": \"qformer\"", "mm_projector_type"},
                {"\"image_aspect_ratio\": \"pad\"", "\"image_aspect_ratio\": \"anyres\"", "image_aspect_ratio"},
                {"\"mm_use_im_start_end\": false", "\"mm_use_im_start_end\": true", "mm_use_im_start_end"},
                {"\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act"}}) {
            Path dir = config("orig-" + c[2], orig.replace(c[0], c[1]));
            ModelConfigException e = assertThrows(ModelConfigException.class,
                    () -> LlavaConfig.load(dir, Goldens.tinyOriginal().resolve("vision_tower")));
            assertEquals(c[2], e.key());
            assertTrue(e.getMessage().startsWith(dir.resolve("config.json").toString()), e.getMessage());
        }
    }
}
