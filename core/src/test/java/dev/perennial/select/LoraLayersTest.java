/*
 * LoraLayers (docs/methods/adapt-inf.md §2.3): the layer of a parameter is the first integer of its name; the gradient length
 * per layer is 78,080·r for LLaMA-2-7B and the same formula on the tiny model's dimensions (spec §10.1 invariant
 * 4, length part); the chosen adapters come in named_parameters() order and only from the chosen layers; fresh
 * adapters change nothing in the model's output.
 */
package dev.perennial.select;

import dev.perennial.io.Npy;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LoraLayersTest {
    static Path golden(String name) throws Exception {
        return Path.of(LoraLayersTest.class.getResource("/golden").toURI()).resolve(name);
    }

    @Test
    void theLayerIsTheFirstIntegerOfTheName() {
        assertEquals(31, LoraLayers.layerOf("base_model.model.model.layers.31.self_attn.q_proj.lora_A.default.weight"));
        assertEquals(0, LoraLayers.layerOf("language_model.model.layers.0.mlp.down_proj"));
        assertEquals(12, LoraLayers.layerOf("layers.12.mlp.up_proj.lora_B.7.weight"));
        assertEquals(1, LoraLayers.layerOf("multi_modal_projector.linear_1"));
        assertEquals(-1, LoraLayers.layerOf("lm_head"));
    }

    // Spec §10.1 invariant 4 (length): 78,080·r per layer for LLaMA-2-7B, 9,994,240 at r = 128.
    @Test
    void perLayerLengthIs78080TimesRankForLlama7B() {
        LlamaConfig llama7b = new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 1e-5f, 10000, 4096, false, 1, 2);
        assertEquals(78_080L, LoraLayers.perLayerLength(llama7b, 1));
        assertEquals(9_994_240L, LoraLayers.perLayerLength(llama7b, 128));
        assertEquals(4_997_120L, LoraLayers.perLayerLength(llama7b, 64));
    }

    // Spec §10.1 invariant 4 (length) on the tiny model: D 64, I 96, 4 heads of 16, 2 kv heads -> q 64, kv 32:
    // (64+64) + 2·(64+32) + (64+64) + 3·(64+96) = 928 per unit of rank.
    @Test
    void tinyModelLengthFollowsTheSameFormulaAndTheSelectionIsOrdered() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden("tiny-llava-hf"))) {
            assertEquals(928L * 3, LoraLayers.perLayerLength(m.config().text(), 3));
            Map<String, LoraAdapter> all = Lora.attach(m.linears(), LoraConfig.llm(3, 6, 0f), 1);
            Map<String, LoraAdapter> last = LoraLayers.select(m, LoraLayers.lastLayer(m));
            assertEquals(928L * 3, LoraLayers.gradientLength(last));
            String p = "language_model.model.layers.1.";
            assertEquals(List.of(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj", p + "self_attn.o_proj",
                    p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj"), List.copyOf(last.keySet()));
            for (var e : last.entrySet()) assertSame(all.get(e.getKey()), e.getValue());

            Map<String, LoraAdapter> both = LoraLayers.select(m, List.of(1, 0));
            assertEquals(14, both.size());
            assertEquals(List.copyOf(all.keySet()), List.copyOf(both.keySet()), "layers ascending, module order inside");
            assertEquals(2 * 928L * 3, LoraLayers.gradientLength(both));
            assertThrows(IllegalArgumentException.class, () -> LoraLayers.select(m, List.of(5)));
        }
    }

    @Test
    void freshAdaptersGoOnTheChosenLayersOnlyAndChangeNothing() throws Exception {
        Path g = golden("golden-tiny-llava-hf");
        List<long[]> ids = List.of(Npy.read(g.resolve("input_ids.npy")).toLongArray());
        Tensor px = Npy.read(g.resolve("pixel_values.npy"));
        CpuBackend be = new CpuBackend();
        try (LlavaModel m = LlavaModel.load(golden("tiny-llava-hf"))) {
            float[] before = m.forward(be, ids, px, null).logits().toFloatArray();
            assertThrows(IllegalArgumentException.class, () -> LoraLayers.select(m, List.of(1)), "no adapter yet");
            Map<String, LoraAdapter> fresh = LoraLayers.attachFresh(m, List.of(1), 8, 16, 0);
            assertEquals(7, fresh.size());
            fresh.keySet().forEach(n -> assertEquals(1, LoraLayers.layerOf(n), n));
            assertEquals(928L * 8, LoraLayers.gradientLength(fresh));
            assertArrayEquals(before, m.forward(be, ids, px, null).logits().toFloatArray(), "B = 0: outputs unchanged");
            assertThrows(IllegalArgumentException.class, () -> LoraLayers.select(m, List.of(0)), "layer 0 has no adapter");
            assertThrows(IllegalArgumentException.class, () -> LoraLayers.attachFresh(m, List.of(2), 8, 16, 0));
        }
    }
}
