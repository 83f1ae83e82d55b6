/*
 * A LoRA adapter in the exact form PEFT 0.10 saves it (adapter_config.json with every field save_pretrained writes,
 * target_modules as a list, tensors named base_model.model.<module>.lora_A/B.weight) loads onto the tiny LLaVA and
 * gives the logits of the base model whose weights were merged by this test itself in double precision,
 * W' = W + (lora_alpha / r) * B A, to 1e-5: an oracle independent of Lora's code. The Python PEFT package cannot run
 * on this machine, so this checks PEFT's published format and semantics, not PEFT's own outputs.
 */
package dev.perennial.nn;

import dev.perennial.io.Npy;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PeftFormatTest {
    static final Backend BE = new CpuBackend();
    static final int R = 4;
    static final float ALPHA = 16;

    @TempDir
    Path tmp;

    /** adapter_config.json as PEFT 0.10.0's LoraConfig.save_pretrained writes it for a LLaVA model. */
    static final String PEFT_0_10_CONFIG = """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "tiny-llava-hf",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": 16,
              "lora_dropout": 0.05,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": null,
              "peft_type": "LORA",
              "r": 4,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "v_proj",
                "q_proj"
              ],
              "task_type": "CAUSAL_LM",
              "use_dora": false,
              "use_rslora": false
            }
            """;

    private static Tensor logits(LlavaModel m) throws Exception {
        Path g = LoraTest.golden().resolve("golden-tiny-llava-hf");
        return m.forward(BE, List.of(Npy.read(g.resolve("input_ids.npy")).toLongArray()), Npy.read(g.resolve("pixel_values.npy")), null).logits();
    }

    @Test
    void aPeft010AdapterGivesTheLogitsOfTheMergedWeights() throws Exception {
        Path base = LoraTest.golden().resolve("tiny-llava-hf");
        Path merged = Files.createDirectories(tmp.resolve("merged")), adapter = Files.createDirectories(tmp.resolve("adapter"));
        Files.copy(base.resolve("config.json"), merged.resolve("config.json"));
        Map<String, Tensor> weights = new LinkedHashMap<>(), lora = new LinkedHashMap<>();
        Random rng = new Random(11);
        int adapted = 0;
        try (TensorSource src = TensorSource.open(base.resolve("model.safetensors"))) {
            for (String name : src.names()) {
                float[] w = src.tensor(name).toFloatArray();
                int[] shape = src.tensor(name).shape();
                // PEFT's list form: every module whose name ends with one of the entries, vision tower included
                if (name.endsWith("_proj.weight") && (name.contains(".q_proj.") || name.contains(".v_proj."))) {
                    int out = shape[0], in = shape[1];
                    float[] a = new float[R * in], b = new float[out * R];
                    for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextGaussian() * 0.2);
                    for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextGaussian() * 0.05);
                    String module = name.substring(0, name.length() - ".weight".length());
                    lora.put("base_model.model." + module + ".lora_A.weight", Tensor.of(a, R, in));
                    lora.put("base_model.model." + module + ".lora_B.weight", Tensor.of(b, out, R));
                    double scaling = ALPHA / R;
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            double delta = 0;
                            for (int k = 0; k < R; k++) delta += (double) b[o * R + k] * a[k * in + i];
                            w[o * in + i] = (float) (w[o * in + i] + scaling * delta);
                        }
                    }
                    adapted++;
                }
                weights.put(name, Tensor.of(w, shape));
            }
        }
        assertEquals(8, adapted, "q_proj and v_proj of 2 language and 2 vision layers");
        SafetensorsWriter.write(merged.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        SafetensorsWriter.write(adapter.resolve("adapter_model.safetensors"), lora, Map.of("format", "pt"));
        Files.writeString(adapter.resolve("adapter_config.json"), PEFT_0_10_CONFIG);

        float[] expected;
        try (LlavaModel m = LlavaModel.load(merged)) {
            expected = logits(m).toFloatArray();
        }
        try (LlavaModel m = LlavaModel.load(base)) {
            float[] plain = logits(m).toFloatArray();
            Map<String, LoraAdapter> loaded = Lora.load(adapter, m.linears(), 0);
            assertEquals(8, loaded.size());
            assertEquals(ALPHA / R, loaded.get("language_model.model.layers.0.self_attn.q_proj").scaling());
            float[] got = logits(m).toFloatArray();
            double maxDiff = 0, moved = 0;
            for (int i = 0; i < got.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
                moved = Math.max(moved, Math.abs(plain[i] - expected[i]));
            }
            assertTrue(moved > 1e-2, "the adapter changes the logits (by " + moved + ")");
            assertTrue(maxDiff <= 1e-5, "PEFT adapter vs merged weights: max |diff| " + maxDiff);
        }
    }

    /**
     * The other direction, as far as it can be checked here: an adapter Java saves has exactly PEFT 0.10's config
     * fields (PEFT builds its LoraConfig from them as keyword arguments, so an unknown field would fail there) and
     * PEFT's tensor names and shapes.
     */
    @Test
    void aJavaSavedAdapterHasPeft010sFieldsAndNames() throws Exception {
        Path dir = tmp.resolve("java-adapter");
        try (LlavaModel m = LlavaModel.load(LoraTest.golden().resolve("tiny-llava-hf"))) {
            LoraConfig cfg = new LoraConfig(R, ALPHA, 0.05f, LoraConfig.fromSuffixes(List.of("q_proj", "v_proj")));
            Lora.save(dir, Lora.attach(m.linears(), cfg, 3), cfg, "tiny-llava-hf");
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var saved = json.readTree(dir.resolve(Lora.CONFIG_FILE).toFile());
        var peft = json.readTree(PEFT_0_10_CONFIG);
        java.util.Set<String> savedKeys = new java.util.TreeSet<>(), peftKeys = new java.util.TreeSet<>();
        saved.fieldNames().forEachRemaining(savedKeys::add);
        peft.fieldNames().forEachRemaining(peftKeys::add);
        assertEquals(peftKeys, savedKeys, "the fields PEFT 0.10 writes and reads");
        for (String k : List.of("peft_type", "task_type", "r", "lora_alpha", "bias", "use_rslora", "use_dora", "fan_in_fan_out")) {
            assertEquals(peft.get(k), saved.get(k), k);
        }
        try (TensorSource src = TensorSource.open(dir.resolve(Lora.WEIGHTS_FILE))) {
            assertEquals(16, src.names().size());
            String a = "base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight";
            assertArrayEquals(new int[]{R, 64}, src.tensor(a).shape(), "lora_A is [r, in]");
        }
    }
}
