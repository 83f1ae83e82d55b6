/*
 * Per-sample LoRA gradients from one batched backward equal, sample by sample, the gradients of a separate
 * backward pass of that sample's own loss (to 1e-5 relative), on a padded batch of three
 * samples of different lengths with images.
 */
package dev.perennial.train;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PerSampleGradientsTest {
    static final Backend BE = new CpuBackend();

    private static void assertRelClose(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double max = 0, diff = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i]));
            diff = Math.max(diff, Math.abs(e[i] - a[i]));
        }
        assertTrue(max > 0, what + ": reference gradient is zero (test would prove nothing)");
        assertTrue(diff <= 1e-5 * max, what + ": max diff " + diff + " vs max " + max);
    }

    @Test
    void batchedPerSampleGradientsEqualPerSampleBackward() throws Exception {
        Path golden = Path.of(getClass().getResource("/golden").toURI());
        Path g = golden.resolve("golden-tiny-llava-hf");
        try (LlavaModel m = LlavaModel.load(golden.resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> all = Lora.attach(m.linears(), LoraConfig.llm(3, 6, 0f), 5);
            Random r = new Random(1);
            for (LoraAdapter ad : all.values()) {
                for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.1));
            }
            Map<String, LoraAdapter> chosen = new LinkedHashMap<>();
            for (String n : List.of("language_model.model.layers.1.self_attn.v_proj", "language_model.model.layers.1.mlp.down_proj",
                    "language_model.model.layers.0.mlp.up_proj")) chosen.put(n, all.get(n));

            long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray(), labels = Npy.read(g.resolve("labels.npy")).toLongArray();
            long[] shortIds = Arrays.copyOf(ids, 20), shortLabels = Arrays.copyOf(labels, 20);
            long[] textIds = {1, 17, 42, 233, 7, 99}, textLabels = {-100, -100, -100, 233, 7, 99};
            List<long[]> batchIds = List.of(ids, shortIds, textIds), batchLabels = List.of(labels, shortLabels, textLabels);
            Tensor px = Npy.read(g.resolve("pixel_values.npy"));
            Tensor pixels = BE.concat(List.of(px, BE.scale(px, 0.5f)), 0);

            Map<String, PerSampleGradients.AdapterGradients> batched = PerSampleGradients.compute(m, BE, batchIds, pixels, batchLabels, chosen);
            for (int s = 0; s < 3; s++) {
                Tape tape = new Tape();
                GradBackend gb = new GradBackend(BE, tape);
                chosen.values().forEach(ad -> { tape.watch(ad.a()); tape.watch(ad.b()); });
                Tensor img = s == 0 ? px : s == 1 ? BE.scale(px, 0.5f) : null;
                LlavaModel.Output out = m.forward(gb, List.of(batchIds.get(s)), img, List.of(batchLabels.get(s)));
                Gradients grads = tape.backward(out.lossTensor());
                for (var e : chosen.entrySet()) {
                    assertRelClose(grads.of(e.getValue().a()), batched.get(e.getKey()).a().select(0, s), e.getKey() + " A, sample " + s);
                    assertRelClose(grads.of(e.getValue().b()), batched.get(e.getKey()).b().select(0, s), e.getKey() + " B, sample " + s);
                }
            }
        }
    }
}
