/*
 * Checkpoints saved by transformers 4.52 and later name llava-hf's modules in the nested layout
 * (model.language_model.*, model.vision_tower.*, model.multi_modal_projector.*, lm_head.*): the tiny model rewritten
 * in that layout loads and gives the original's logits bit for bit, and a LoRA adapter whose tensors are named in that
 * layout (as PEFT saves one trained against such a checkpoint) loads onto the model with the same outputs.
 */
package dev.perennial.llava;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.nn.HfLayout;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
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
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NestedLayoutTest {
    @TempDir
    Path tmp;

    private static float[] logits(LlavaModel m) throws IOException {
        return m.forward(new CpuBackend(), List.of(Goldens.npy("input_ids").toLongArray()), Goldens.npy("pixel_values"), null)
                .logits().toFloatArray();
    }

    /** Copies {@code from} to {@code to} with every tensor renamed by {@code rename}. */
    private static void rewrite(Path from, Path to, java.util.function.UnaryOperator<String> rename) throws IOException {
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(from)) {
            for (String n : src.names()) renamed.put(rename.apply(n), src.tensor(n).to(src.tensor(n).dtype()));
        }
        SafetensorsWriter.write(to, renamed, Map.of("format", "pt"));
    }

    @Test
    void aNestedCheckpointAndANestedAdapterLoad() throws IOException {
        Path nested = Files.createDirectories(tmp.resolve("nested"));
        Files.copy(Goldens.tinyHf().resolve("config.json"), nested.resolve("config.json"));
        rewrite(Goldens.tinyHf().resolve("model.safetensors"), nested.resolve("model.safetensors"), HfLayout::nested);
        try (TensorSource src = TensorSource.open(nested.resolve("model.safetensors"))) {
            assertTrue(src.contains("model.language_model.layers.0.self_attn.q_proj.weight") && src.contains("lm_head.weight"));
        }
        Path adapter = tmp.resolve("adapter"), nestedAdapter = Files.createDirectories(tmp.resolve("nested-adapter"));
        float[] base, withAdapter;
        try (LlavaModel m = LlavaModel.load(Goldens.tinyHf())) {
            base = logits(m);
            Map<String, LoraAdapter> ad = Lora.attach(m.linears(), new LoraConfig(2, 4, 0f, LoraConfig.fromSuffixes(List.of("q_proj", "v_proj"))), 1);
            Random r = new Random(9);
            for (LoraAdapter a : ad.values()) for (int i = 0; i < a.b().numel(); i++) a.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.05));
            withAdapter = logits(m);
            Lora.save(adapter, ad, new LoraConfig(2, 4, 0f, LoraConfig.fromSuffixes(List.of("q_proj", "v_proj"))));
        }
        Files.copy(adapter.resolve(Lora.CONFIG_FILE), nestedAdapter.resolve(Lora.CONFIG_FILE));
        rewrite(adapter.resolve(Lora.WEIGHTS_FILE), nestedAdapter.resolve(Lora.WEIGHTS_FILE),
                n -> "base_model.model." + HfLayout.nested(n.substring("base_model.model.".length())));
        try (LlavaModel m = LlavaModel.load(nested)) {
            assertArrayEquals(base, logits(m), "the nested checkpoint is the same model");
            Lora.load(nestedAdapter, m.linears(), 0);
            assertArrayEquals(withAdapter, logits(m), "the nested adapter is the same adapter");
        }
    }
}
