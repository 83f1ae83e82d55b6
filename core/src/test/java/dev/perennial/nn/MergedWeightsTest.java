/*
 * MergedWeights on the tiny LLaVA (docs/methods/adapt-inf.md §1.3): a chain of two adapters merged one after the other
 * gives the logits of weights merged by this test in double precision (W + s0·B0·A0 + s1·B1·A1) within the logits bound
 * of docs/methods/llava-numerics.md (1e-4), and the logits of the same adapters attached un-merged; only the targeted
 * linears change (float32 overlays), the checkpoint's mapped tensors are never written and come back on close; the same
 * chain merged again on a fresh model gives the same bits (what a resumed run relies on); and a BF16 checkpoint is
 * merged in float32 and kept as a float32 overlay (BF16 W widened exactly, not rounded back).
 */
package dev.perennial.nn;

import dev.perennial.io.Npy;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MergedWeightsTest {
    static final Backend BE = new CpuBackend();
    static final LoraConfig CFG = LoraConfig.llm(4, 8, 0f);

    @TempDir
    Path tmp;

    private static float[] logits(LlavaModel m) throws Exception {
        Path g = LoraTest.golden().resolve("golden-tiny-llava-hf");
        return m.forward(BE, List.of(Npy.read(g.resolve("input_ids.npy")).toLongArray()), Npy.read(g.resolve("pixel_values.npy")), null)
                .logits().toFloatArray();
    }

    /** Two "trained" adapters (seeded A, random B), saved so every model of the test gets the same bits. */
    private List<Path> twoAdapters(Path base) throws Exception {
        List<Path> dirs = new ArrayList<>();
        try (LlavaModel m = LlavaModel.load(base)) {
            for (int k = 0; k < 2; k++) {
                Map<String, LoraAdapter> ad = Lora.attach(m.linears(), CFG, 10 + k);
                Random r = new Random(20 + k);
                for (LoraAdapter a : ad.values()) for (int i = 0; i < a.b().numel(); i++) a.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.05));
                Path d = tmp.resolve("adapter" + k);
                Lora.save(d, ad, CFG);
                dirs.add(d);
                for (Linear l : m.linears().values()) l.setAdapter(null);
            }
        }
        return dirs;
    }

    /** W + Σ_k s·B_k·A_k for every targeted layer, in double, rounded once: the oracle. */
    private static Path mergedInDouble(Path base, List<Path> adapters, Path dir) throws Exception {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        List<TensorSource> sources = new ArrayList<>();
        for (Path a : adapters) sources.add(TensorSource.open(a.resolve(Lora.WEIGHTS_FILE)));
        try (TensorSource src = TensorSource.open(base.resolve("model.safetensors"))) {
            for (String name : src.names()) {
                Tensor t = src.tensor(name);
                double[] w = new double[(int) t.numel()];
                float[] f = t.toFloatArray();
                for (int i = 0; i < f.length; i++) w[i] = f[i];
                String module = name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : null;
                if (module != null && CFG.targets(module)) {
                    int out = t.size(0), in = t.size(1), r = CFG.rank();
                    for (TensorSource s : sources) {
                        float[] a = s.tensor("base_model.model." + module + ".lora_A.weight").toFloatArray();
                        float[] b = s.tensor("base_model.model." + module + ".lora_B.weight").toFloatArray();
                        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) {
                            double d = 0;
                            for (int k = 0; k < r; k++) d += (double) b[o * r + k] * a[k * in + i];
                            w[o * in + i] += CFG.scaling() * d;
                        }
                    }
                }
                float[] rounded = new float[w.length];
                for (int i = 0; i < w.length; i++) rounded[i] = (float) w[i];
                weights.put(name, Tensor.of(rounded, t.shape()));
            }
        } finally {
            for (TensorSource s : sources) s.close();
        }
        Files.createDirectories(dir);
        Files.copy(base.resolve("config.json"), dir.resolve("config.json"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        return dir;
    }

    @Test
    void aMergedChainGivesTheLogitsOfItsWeightsAndOfTheAttachedAdapters() throws Exception {
        Path base = LoraTest.golden().resolve("tiny-llava-hf");
        List<Path> adapters = twoAdapters(base);
        float[] oracle;
        try (LlavaModel m = LlavaModel.load(mergedInDouble(base, adapters, tmp.resolve("oracle")))) {
            oracle = logits(m);
        }
        byte[] checkpoint = Files.readAllBytes(base.resolve("model.safetensors"));
        float[] plain, attached, chain;
        Map<String, float[]> overlays = new LinkedHashMap<>();
        try (LlavaModel m = LlavaModel.load(base)) {
            plain = logits(m);
            Map<Linear, Tensor> before = new IdentityHashMap<>();
            m.linears().values().forEach(l -> before.put(l, l.weight()));
            try (MergedWeights merged = new MergedWeights()) {
                Lora.load(adapters.get(0), m.linears(), 0);
                assertEquals(14, merged.merge(BE, m.linears()), "q,k,v,o,gate,up,down of 2 decoder layers");
                Lora.load(adapters.get(1), m.linears(), 0);
                attached = logits(m);                                      // adapter 0 merged, adapter 1 attached
                assertEquals(14, merged.merge(BE, m.linears()));
                assertEquals(2, merged.merges());
                chain = logits(m);
                for (var e : m.linears().entrySet()) {
                    Linear l = e.getValue();
                    assertNull(l.adapter(), "merging detaches: " + e.getKey());
                    if (CFG.targets(e.getKey())) {
                        assertEquals(DType.F32, l.weight().dtype());
                        assertFalse(l.weight().storage().isReadOnly(), "an in-memory overlay, not the mapped checkpoint: " + e.getKey());
                        overlays.put(e.getKey(), l.weight().toFloatArray());
                    } else {
                        assertSame(before.get(l), l.weight(), "an untargeted layer keeps its mapped weight: " + e.getKey());
                    }
                }
            }
            for (Linear l : m.linears().values()) assertSame(before.get(l), l.weight(), "close() puts the checkpoint's tensors back");
            assertArrayEquals(plain, logits(m), 0f);
        }
        assertArrayEquals(checkpoint, Files.readAllBytes(base.resolve("model.safetensors")), "the checkpoint file is never written");
        double vsOracle = 0, vsAttached = 0, moved = 0;
        for (int i = 0; i < chain.length; i++) {
            vsOracle = Math.max(vsOracle, Math.abs(chain[i] - oracle[i]));
            vsAttached = Math.max(vsAttached, Math.abs(attached[i] - oracle[i]));
            moved = Math.max(moved, Math.abs(plain[i] - oracle[i]));
        }
        assertTrue(moved > 1e-2, "the adapters change the logits (by " + moved + ")");
        assertTrue(vsOracle <= 1e-4, "merged chain vs weights merged in double: max |diff| " + vsOracle);
        assertTrue(vsAttached <= 1e-4, "one merged + one attached vs weights merged in double: max |diff| " + vsAttached);

        try (LlavaModel m = LlavaModel.load(base); MergedWeights again = new MergedWeights()) {   // the same chain, a fresh model
            for (Path a : adapters) {
                Lora.load(a, m.linears(), 5);
                again.merge(BE, m.linears());
            }
            for (var e : overlays.entrySet()) {
                assertArrayEquals(e.getValue(), m.linears().get(e.getKey()).weight().toFloatArray(), 0f, "same chain, same bits: " + e.getKey());
            }
            assertArrayEquals(chain, logits(m), 0f);
        }
    }

    /** A BF16 checkpoint: merged in float32, the overlay stays float32 = float32(widened W + Δ), not rounded back to BF16. */
    @Test
    void aHalfPrecisionBaseGetsAFloat32Overlay() throws Exception {
        Path base = LoraTest.golden().resolve("tiny-llava-hf"), bf16 = Files.createDirectories(tmp.resolve("bf16"));
        Map<String, Tensor> weights = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(base.resolve("model.safetensors"))) {
            for (String name : src.names()) weights.put(name, src.tensor(name).to(DType.BF16));
        }
        SafetensorsWriter.write(bf16.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        Files.copy(base.resolve("config.json"), bf16.resolve("config.json"));
        Path adapter = twoAdapters(base).get(0);
        String q = "language_model.model.layers.1.self_attn.q_proj";
        try (LlavaModel m = LlavaModel.load(bf16); MergedWeights merged = new MergedWeights()) {
            Tensor w = m.linears().get(q).weight();
            assertEquals(DType.BF16, w.dtype());
            float[] widened = w.toFloatArray();
            LoraAdapter ad = Lora.load(adapter, m.linears(), 0).get(q);
            float[] a = ad.a().toFloatArray(), b = ad.b().toFloatArray();
            float[] attached = logits(m);
            merged.merge(BE, m.linears());
            Tensor after = m.linears().get(q).weight();
            assertEquals(DType.F32, after.dtype());
            float[] got = after.toFloatArray();
            int in = ad.inFeatures(), r = ad.rank();
            boolean finerThanBf16 = false;
            for (int o = 0; o < ad.outFeatures(); o++) for (int i = 0; i < in; i++) {
                double d = 0;
                for (int k = 0; k < r; k++) d += (double) b[o * r + k] * a[k * in + i];
                double expected = widened[o * in + i] + ad.scaling() * d;
                float g = got[o * in + i];
                assertEquals(expected, g, 1e-6 * Math.max(1, Math.abs(expected)), "element " + o + "," + i);
                finerThanBf16 |= (Float.floatToRawIntBits(g) & 0xFFFF) != 0;
            }
            assertTrue(finerThanBf16, "the overlay keeps float32 bits a BF16 weight cannot hold");
            float[] mergedLogits = logits(m);
            for (int i = 0; i < attached.length; i++) assertEquals(attached[i], mergedLogits[i], 1e-4, "logit " + i);
        }
    }
}
