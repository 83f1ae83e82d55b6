/*
 * Loading CLIP checkpoints other than the full CLIPModel, and refusing broken ones: a text-only
 * (CLIPTextModelWithProjection / CLIPTextModel) and a vision-only (CLIPVisionModelWithProjection) checkpoint cut
 * from the tiny one give the golden outputs; position_ids buffers are ignored; every missing, unexpected and
 * mis-shaped tensor is listed in one exception; config errors name the key; bad inputs are one clear message.
 */
package dev.perennial.clip;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.CheckpointMismatchException;
import dev.perennial.llava.ModelConfigException;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static dev.perennial.clip.ClipGoldens.TOLERANCE;
import static dev.perennial.clip.ClipGoldens.maxAbsDiff;
import static dev.perennial.clip.ClipGoldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class ClipModelLoadingTest {
    static final Backend BE = new CpuBackend();

    @TempDir
    Path tmp;

    private static Map<String, Tensor> tensors(Predicate<String> keep) throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(ClipGoldens.checkpoint())) {
            for (String n : src.names()) if (keep.test(n)) m.put(n, src.tensor(n));
        }
        return m;
    }

    private Path checkpoint(String name, String config, Map<String, Tensor> tensors) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), config);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }

    private static final String TEXT_CONFIG = """
            {"model_type": "clip_text_model", "architectures": ["CLIPTextModelWithProjection"], "bos_token_id": 0,
             "eos_token_id": 2, "hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4,
             "num_hidden_layers": 2, "projection_dim": 24, "vocab_size": 300}""";

    @Test
    void textOnlyCheckpointWithAndWithoutProjection() throws IOException {
        Tensor ids = npy("text_input_ids"), mask = npy("text_attention_mask");
        Path withProjection = checkpoint("text", TEXT_CONFIG, tensors(n -> n.startsWith("text_")));
        try (ClipModel m = ClipModel.load(withProjection)) {
            assertNull(m.config().vision());
            ClipModel.TextEmbeddings e = m.encodeText(BE, ids, mask);
            assertTrue(maxAbsDiff(e.pooledOutput(), npy("text_pooler_output")) <= TOLERANCE);
            assertTrue(maxAbsDiff(e.textEmbeds(), npy("text_embeds")) <= TOLERANCE);
            IllegalStateException noVision = assertThrows(IllegalStateException.class, m::visionTower);
            assertTrue(noVision.getMessage().contains("no vision tower"), noVision.getMessage());
        }
        Path bare = checkpoint("text-bare", TEXT_CONFIG, tensors(n -> n.startsWith("text_model.")));
        try (ClipModel m = ClipModel.load(bare)) {
            ClipModel.TextEmbeddings e = m.encodeText(BE, ids, mask);
            assertTrue(maxAbsDiff(e.lastHiddenState(), npy("text_last_hidden_state")) <= TOLERANCE);
            assertNull(e.textEmbeds());
        }
    }

    @Test
    void visionOnlyCheckpointGivesTheImageEmbeds() throws IOException {
        String config = """
                {"model_type": "clip_vision_model", "hidden_size": 40, "image_size": 30, "intermediate_size": 52,
                 "num_attention_heads": 5, "num_hidden_layers": 2, "patch_size": 6, "projection_dim": 24}""";
        Path dir = checkpoint("vision", config, tensors(n -> n.startsWith("vision_model.") || n.equals("visual_projection.weight")));
        try (ClipModel m = ClipModel.load(dir)) {
            assertNull(m.config().text());
            ClipModel.ImageEmbeddings e = m.encodeImage(BE, npy("pixel_values"));
            assertTrue(maxAbsDiff(e.pooledOutput(), npy("vision_pooler_output")) <= TOLERANCE);
            assertTrue(maxAbsDiff(e.imageEmbeds(), npy("image_embeds")) <= TOLERANCE);
            assertThrows(IllegalStateException.class, m::textTower);
            assertThrows(IllegalStateException.class, () -> m.logitsPerText(BE, e.imageEmbeds(), e.imageEmbeds()));
        }
    }

    @Test
    void positionIdBuffersOfOldExportsAreIgnored() throws IOException {
        Map<String, Tensor> t = tensors(n -> true);
        t.put("text_model.embeddings.position_ids", Tensor.ofLongs(new long[77], 1, 77));
        t.put("vision_model.embeddings.position_ids", Tensor.ofLongs(new long[26], 1, 26));
        Path dir = checkpoint("buffers", Files.readString(ClipGoldens.checkpoint().resolve("config.json")), t);
        try (ClipModel m = ClipModel.load(dir)) {
            assertTrue(maxAbsDiff(m.encodeImage(BE, npy("pixel_values")).imageEmbeds(), npy("image_embeds")) <= TOLERANCE);
        }
    }

    @Test
    void everyCheckpointProblemIsListedOnce() throws IOException {
        Map<String, Tensor> t = tensors(n -> !n.equals("text_model.final_layer_norm.bias") && !n.equals("logit_scale"));
        t.put("text_model.extra.weight", Tensor.zeros(2));
        t.put("visual_projection.weight", Tensor.zeros(DType.F32, 24, 41));
        Path dir = checkpoint("broken", Files.readString(ClipGoldens.checkpoint().resolve("config.json")), t);
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> ClipModel.load(dir));
        assertEquals(List.of("text_model.final_layer_norm.bias", "logit_scale"), e.missing());
        assertEquals(List.of("text_model.extra.weight"), e.unexpected());
        assertEquals(List.of("visual_projection.weight: expected [24, 40], found [24, 41]"), e.misShaped());
    }

    @Test
    void configErrorsNameTheKey() throws IOException {
        Map<String, Tensor> none = Map.of();
        ModelConfigException type = assertThrows(ModelConfigException.class,
                () -> ClipModel.load(checkpoint("llama", "{\"model_type\": \"llama\"}", none)));
        assertEquals("model_type", type.key());
        assertTrue(type.getMessage().contains("is not a CLIP model"), type.getMessage());
        ModelConfigException act = assertThrows(ModelConfigException.class, () -> ClipModel.load(
                checkpoint("relu", "{\"model_type\": \"clip\", \"text_config\": {\"hidden_act\": \"relu\"}}", none)));
        assertEquals("text_config.hidden_act", act.key());
        ModelConfigException heads = assertThrows(ModelConfigException.class, () -> ClipModel.load(
                checkpoint("heads", TEXT_CONFIG.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"), none)));
        assertTrue(heads.getMessage().contains("not a multiple of num_attention_heads 5"), heads.getMessage());
    }

    @Test
    void badTextInputsAreRefusedWithOneMessage() throws IOException {
        try (ClipModel m = ClipModel.load(ClipGoldens.checkpoint())) {
            ClipTextTower t = m.textTower();
            Tensor ids = npy("text_input_ids");
            assertEquals("input id 300 at [0, 1] is outside the vocabulary [0, 300)",
                    message(() -> t.forward(BE, Tensor.ofLongs(new long[]{298, 300, 299}, 1, 3), null)));
            assertEquals("input id -1 at [0, 0] is outside the vocabulary [0, 300)",
                    message(() -> t.forward(BE, Tensor.ofLongs(new long[]{-1, 299}, 1, 2), null)));
            assertTrue(message(() -> t.forward(BE, Tensor.zeros(1, 3), null)).startsWith("input ids must be a non-empty integer [B, T] tensor"));
            assertTrue(message(() -> t.forward(BE, Tensor.ofLongs(new long[]{298, 299}, 2), null)).startsWith("input ids must be"));
            assertEquals("input ids have 78 positions, more than the tower's 77 (max_position_embeddings); truncate when tokenizing",
                    message(() -> t.forward(BE, Tensor.ofLongs(new long[78], 1, 78), null)));
            assertEquals("attention mask is [3, 13] but input ids are [3, 14]",
                    message(() -> t.forward(BE, ids, npy("text_attention_mask").narrow(1, 0, 13))));
            assertEquals("attention mask value 2 at [0, 1] is not 0 or 1",
                    message(() -> t.forward(BE, Tensor.ofLongs(new long[]{298, 299}, 1, 2), Tensor.ofLongs(new long[]{1, 2}, 1, 2))));
            assertEquals("attention mask row 0 starts with padding; CLIP text is padded on the right",
                    message(() -> t.forward(BE, Tensor.ofLongs(new long[]{298, 299}, 1, 2), Tensor.ofLongs(new long[]{0, 1}, 1, 2))));
        }
    }

    private static String message(org.junit.jupiter.api.function.Executable run) {
        return assertThrows(IllegalArgumentException.class, run).getMessage();
    }
}
