/*
 * LlavaModel.forwardLoss (the training forward that applies the vocabulary head only at supervised positions) gives
 * forward()'s loss and every gradient (all weights, the pixels, inserted prompt embeddings) within float rounding of
 * the head's products, for a right-padded batch of samples of different lengths and supervision; and the tape holds
 * less between forward and backward (no [B, T, V] logits).
 */
package dev.perennial.llava;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.Npy;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LossOnlyForwardTest {
    private static final CpuBackend BE = new CpuBackend();

    private record Step(double loss, int tokens, Map<String, float[]> grads, long held) {}

    private static Step step(LlavaModel m, List<long[]> ids, List<long[]> labels, Tensor pixels, List<PromptInsertion> prompts,
                             Map<String, Tensor> watched, boolean lossOnly) {
        try (TensorScope scope = TensorScope.open()) {
            Tape tape = new Tape();
            watched.values().forEach(tape::watch);
            tape.watch(pixels);
            GradBackend gb = new GradBackend(BE, tape);
            LlavaModel.Output out = lossOnly ? m.forwardLoss(gb, ids, pixels, labels, prompts) : m.forward(gb, ids, pixels, labels, prompts);
            long held = tape.recordedBytes();
            Gradients grads = tape.backward(out.lossTensor());
            Map<String, float[]> byName = new LinkedHashMap<>();
            for (var e : watched.entrySet()) {
                Tensor g = grads.of(e.getValue());
                if (g != null) byName.put(e.getKey(), g.toFloatArray());
            }
            byName.put("pixels", grads.of(pixels).toFloatArray());
            return new Step(out.loss(), out.supervisedTokens(), byName, held);
        }
    }

    @Test
    void theLossAndEveryGradientMatchTheFullForward() throws Exception {
        Path root = Path.of(LossOnlyForwardTest.class.getResource("/golden").toURI());
        Path g = root.resolve("golden-tiny-llava-hf");
        long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray(), labels = Npy.read(g.resolve("labels.npy")).toLongArray();
        long[] shortIds = Arrays.copyOf(ids, ids.length - 3), shortLabels = Arrays.copyOf(labels, labels.length - 3);
        long[] moreLabels = labels.clone();
        for (int j = 12; j < 16; j++) moreLabels[j] = ids[j];                // a second supervised span
        Tensor px = Npy.read(g.resolve("pixel_values.npy"));
        Tensor pixels = BE.concat(List.of(px, BE.scale(px, 0.5f), BE.scale(px, -1f)), 0);
        try (LlavaModel m = LlavaModel.load(root.resolve("tiny-llava-hf"))) {
            int d = m.config().text().hiddenSize();
            Tensor prompt = Tensor.of(new float[3 * d], 3, d);
            for (int i = 0; i < prompt.numel(); i++) prompt.storage().setFloat(i, (float) Math.sin(i));
            Map<String, Tensor> watched = new LinkedHashMap<>(m.weights());
            watched.put("prompt", prompt);
            List<PromptInsertion> prompts = Arrays.asList(new PromptInsertion(prompt, PromptInsertion.Placement.AFTER_BOS), null,
                    new PromptInsertion(prompt, PromptInsertion.Placement.AFTER_BOS));           // the middle sample has none
            List<long[]> batchIds = List.of(ids, shortIds, ids), batchLabels = List.of(labels, shortLabels, moreLabels);
            Step full = step(m, batchIds, batchLabels, pixels, prompts, watched, false);
            Step only = step(m, batchIds, batchLabels, pixels, prompts, watched, true);
            assertEquals(full.tokens(), only.tokens());
            assertEquals(full.loss(), only.loss(), 1e-6 * Math.max(1, Math.abs(full.loss())), "the loss");
            assertEquals(full.grads().keySet(), only.grads().keySet());
            for (var e : full.grads().entrySet()) {
                float[] a = e.getValue(), b = only.grads().get(e.getKey());
                double max = 0;
                for (float x : a) max = Math.max(max, Math.abs(x));
                for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5 * Math.max(max, 1e-3), e.getKey() + "[" + i + "]");
            }
            assertTrue(only.held() < full.held(), "no [B, T, V] logits are held: " + only.held() + " vs " + full.held());
        }
    }
}
