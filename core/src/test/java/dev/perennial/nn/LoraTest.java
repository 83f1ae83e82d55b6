/*
 * LoRA on the tiny LLaVA: default targets, a fresh adapter (B = 0) leaves the logits bit-identical, trained-looking
 * adapters change them, PEFT-layout save/load reproduces the outputs exactly, merge gives the same outputs as the
 * attached adapter (to float rounding) and unmerge restores the original weights exactly, bad adapters are refused.
 */
package dev.perennial.nn;

import dev.perennial.io.Npy;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class LoraTest {
    static final Backend BE = new CpuBackend();

    @TempDir
    Path tmp;

    static Path golden() throws URISyntaxException {
        return Path.of(LoraTest.class.getResource("/golden").toURI());
    }

    private static Tensor logits(LlavaModel m) throws Exception {
        Path g = golden().resolve("golden-tiny-llava-hf");
        return m.forward(BE, List.of(Npy.read(g.resolve("input_ids.npy")).toLongArray()), Npy.read(g.resolve("pixel_values.npy")), null).logits();
    }

    private static void randomizeB(Map<String, LoraAdapter> adapters, long seed) {
        Random r = new Random(seed);
        for (LoraAdapter ad : adapters.values()) {
            for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.05));
        }
    }

    @Test
    void freshAdaptersChangeNothingTrainedOnesDo() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            float[] base = logits(m).toFloatArray();
            Map<String, LoraAdapter> ad = Lora.attach(m.linears(), LoraConfig.llm(4, 8, 0f), 1);
            assertEquals(2 * 7, ad.size(), "q,k,v,o,gate,up,down in each of the 2 decoder layers");
            assertTrue(ad.keySet().stream().allMatch(n -> n.startsWith("language_model.model.layers.")));
            assertArrayEquals(base, logits(m).toFloatArray(), "B = 0: bit-identical");
            randomizeB(ad, 7);
            float[] changed = logits(m).toFloatArray();
            assertFalse(java.util.Arrays.equals(base, changed));
            assertEquals(28, Lora.parameters(ad).size());
            assertTrue(Lora.parameters(ad).containsKey("base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        }
    }

    @Test
    void saveLoadMergeUnmerge() throws Exception {
        Path dir = tmp.resolve("adapter");
        float[] withAdapter;
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> ad = Lora.attach(m.linears(), LoraConfig.llm(4, 8, 0f), 1);
            randomizeB(ad, 3);
            withAdapter = logits(m).toFloatArray();
            Lora.save(dir, ad, LoraConfig.llm(4, 8, 0f));
        }
        assertTrue(Files.isRegularFile(dir.resolve(Lora.CONFIG_FILE)));
        try (TensorSource src = TensorSource.open(dir.resolve(Lora.WEIGHTS_FILE))) {
            assertEquals(28, src.names().size());
        }
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Tensor q = m.linears().get("language_model.model.layers.0.self_attn.q_proj").weight();
            Lora.load(dir, m.linears(), 0);
            assertArrayEquals(withAdapter, logits(m).toFloatArray(), "reloaded adapter: identical outputs");
            Lora.Merged merged = Lora.merge(BE, m.linears());
            assertNull(m.linears().get("language_model.model.layers.0.self_attn.q_proj").adapter());
            float[] mergedLogits = logits(m).toFloatArray();
            for (int i = 0; i < mergedLogits.length; i++) assertEquals(withAdapter[i], mergedLogits[i], 1e-4);
            Lora.unmerge(merged);
            assertSame(q, m.linears().get("language_model.model.layers.0.self_attn.q_proj").weight());
            assertArrayEquals(withAdapter, logits(m).toFloatArray());
        }
    }

    @Test
    void mismatchedAdaptersAreRefused() throws Exception {
        Path dir = tmp.resolve("other");
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> ad = Lora.attach(m.linears(), new LoraConfig(2, 4, 0f, LoraConfig.fromSuffixes(List.of("q_proj"))), 1);
            assertEquals(4, ad.size(), "suffix matching (PEFT list form) also takes the 2 CLIP q_proj layers");
            Lora.save(dir, ad, new LoraConfig(2, 4, 0f, LoraConfig.fromSuffixes(List.of("q_proj", "v_proj"))));
        }
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            IOException e = assertThrows(IOException.class, () -> Lora.load(dir, m.linears(), 0));
            assertTrue(e.getMessage().contains("missing base_model.model.language_model.model.layers.0.self_attn.v_proj.lora_A.weight"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 1, 0, ".*"));
    }

    /** PEFT's rsLoRA and per-module patterns: the scaling and ranks PEFT gives, kept through save and load. */
    @Test
    void rsLoraAndPatternsAreAppliedAsPeftAppliesThem() throws Exception {
        LoraConfig cfg = new LoraConfig(4, 8, 0f, LoraConfig.LLM_PROJECTIONS, true, Map.of("q_proj", 2), Map.of("v_proj", 32f));
        assertEquals(2, cfg.rankOf("language_model.model.layers.0.self_attn.q_proj"));
        assertEquals(8f / (float) Math.sqrt(2), cfg.scalingOf("language_model.model.layers.0.self_attn.q_proj"), 1e-6);
        assertEquals(4, cfg.rankOf("language_model.model.layers.1.self_attn.v_proj"));
        assertEquals(32f / 2f, cfg.scalingOf("language_model.model.layers.1.self_attn.v_proj"), 1e-6, "alpha 32 over sqrt(4)");
        assertEquals(8f / 2f, cfg.scalingOf("language_model.model.layers.1.mlp.up_proj"), 1e-6);
        assertEquals(4, cfg.rankOf("language_model.model.layers.1.self_attn.k_proj"), "no pattern: r");
        Path dir = tmp.resolve("patterns");
        float[] withAdapter;
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> ad = Lora.attach(m.linears(), cfg, 1);
            assertEquals(2, ad.get("language_model.model.layers.0.self_attn.q_proj").rank());
            assertEquals(cfg.scalingOf("language_model.model.layers.0.self_attn.v_proj"), ad.get("language_model.model.layers.0.self_attn.v_proj").scaling());
            randomizeB(ad, 5);
            withAdapter = logits(m).toFloatArray();
            Lora.save(dir, ad, cfg, "tiny-llava-hf");
        }
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> ad = Lora.load(dir, m.linears(), 0);
            assertEquals(2, ad.get("language_model.model.layers.1.self_attn.q_proj").rank());
            assertArrayEquals(withAdapter, logits(m).toFloatArray(), "rsLoRA and patterns survive save and load");
        }
        String saved = Files.readString(dir.resolve(Lora.CONFIG_FILE));
        assertTrue(saved.contains("\"use_rslora\" : true") && saved.contains("\"base_model_name_or_path\" : \"tiny-llava-hf\""), saved);
    }

    /** A config field Perennial does not implement is refused by name instead of loading a wrong adapter silently. */
    @Test
    void unimplementedConfigFieldsAreRefusedByName() throws Exception {
        Path dir = tmp.resolve("strict");
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Lora.save(dir, Lora.attach(m.linears(), LoraConfig.llm(2, 4, 0f), 1), LoraConfig.llm(2, 4, 0f));
        }
        Path config = dir.resolve(Lora.CONFIG_FILE);
        String original = Files.readString(config);
        for (String[] c : new String[][]{{"\"use_dora\" : false", "\"use_dora\" : true", "use_dora"},
                {"\"bias\" : \"none\"", "\"bias\" : \"all\"", "bias"},
                {"\"r\" :", "\"lora_frobnicate\" : 3, \"r\" :", "lora_frobnicate"}}) {
            Files.writeString(config, original.replace(c[0], c[1]));
            try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
                IOException e = assertThrows(IOException.class, () -> Lora.load(dir, m.linears(), 0));
                assertTrue(e.getMessage().contains("\"" + c[2] + "\""), e.getMessage());
            }
        }
    }
}
