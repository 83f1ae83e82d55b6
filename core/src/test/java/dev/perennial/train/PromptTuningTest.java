/*
 * Prompt tuning on the tiny LLaVA: prompt embeddings inserted after BOS (or as a prefix)
 * with ignored labels, trained with AdamW through the frozen model; the loss falls, the prompt is the only thing
 * that changes (every model weight bit-identical afterwards).
 */
package dev.perennial.train;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Tape;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.MergedInputs;
import dev.perennial.llava.PromptInsertion;
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

class PromptTuningTest {
    static final Backend BE = new CpuBackend();

    private static Tensor randomPrompt(int p, int d, long seed) {
        Random r = new Random(seed);
        float[] v = new float[p * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.02);
        return Tensor.of(v, p, d);
    }

    @Test
    void placementLabelsAndPositions() throws Exception {
        Path g = Path.of(getClass().getResource("/golden/golden-tiny-llava-hf").toURI());
        try (LlavaModel m = LlavaModel.load(g.resolveSibling("tiny-llava-hf"))) {
            long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray(), labels = Npy.read(g.resolve("labels.npy")).toLongArray();
            Tensor features = m.imageFeatures(BE, Npy.read(g.resolve("pixel_values.npy")));
            Tensor prompt = randomPrompt(4, 64, 1);
            MergedInputs plain = m.merge(BE, List.of(ids), features, List.of(labels), false);
            for (PromptInsertion.Placement where : PromptInsertion.Placement.values()) {
                MergedInputs in = m.merge(BE, List.of(ids), features, List.of(labels), false, new PromptInsertion(prompt, where));
                int at = where == PromptInsertion.Placement.AFTER_BOS ? 1 : 0;
                assertEquals(48 + 4, in.length());
                assertArrayEquals(prompt.toFloatArray(), in.embeds().select(0, 0).narrow(0, at, 4).contiguous().toFloatArray());
                long[] lab = in.labels().toLongArray(), before = plain.labels().toLongArray();
                for (int j = 0; j < 4; j++) assertEquals(-100, lab[at + j]);
                assertArrayEquals(Arrays.copyOfRange(before, at, 48), Arrays.copyOfRange(lab, at + 4, 52));
                long[] pos = in.positions().toLongArray();
                for (int j = 0; j < 52; j++) assertEquals(j, pos[j]);
            }
        }
    }

    @Test
    void onlyThePromptLearns() throws Exception {
        Path g = Path.of(getClass().getResource("/golden/golden-tiny-llava-hf").toURI());
        try (LlavaModel m = LlavaModel.load(g.resolveSibling("tiny-llava-hf"))) {
            long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray(), labels = Npy.read(g.resolve("labels.npy")).toLongArray();
            Tensor pixels = Npy.read(g.resolve("pixel_values.npy"));
            Map<String, float[]> before = new LinkedHashMap<>();
            m.weights().forEach((k, v) -> before.put(k, v.toFloatArray()));
            Tensor prompt = randomPrompt(4, 64, 2);
            float[] prompt0 = prompt.toFloatArray();
            Optimizer opt = AdamW.builder().setLearningRate(0.05).optWeightDecay(0).build();
            double first = 0, last = 0;
            for (int step = 0; step < 25; step++) {
                Tape tape = new Tape();
                tape.watch(prompt);
                LlavaModel.Output out = m.forward(new GradBackend(BE, tape), List.of(ids), pixels, List.of(labels),
                        new PromptInsertion(prompt, PromptInsertion.Placement.AFTER_BOS));
                Tensor grad = tape.backward(out.lossTensor()).of(prompt);
                opt.step(Map.of("prompt", prompt), Map.of("prompt", grad.contiguous()));
                if (step == 0) first = out.loss();
                last = out.loss();
            }
            assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
            assertFalse(Arrays.equals(prompt0, prompt.toFloatArray()), "the prompt changed");
            m.weights().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloatArray(), k + " must not change"));
        }
    }
}
