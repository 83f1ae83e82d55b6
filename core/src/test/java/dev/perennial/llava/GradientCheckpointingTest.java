/*
 * Gradient checkpointing (LlamaDecoder.setGradientCheckpointing, GradBackend.checkpoint; training-engine issue,
 * item 2): with every decoder layer recomputed in backward, every gradient of the tiny LLaVA (all weights and the
 * pixels; and LoRA adapters) is bit-identical to the plain step's, the memory held between forward and backward
 * is smaller (the layers' intermediates are gone), and LoRA dropout draws the same masks in the recomputation
 * (Recomputation) so its gradients are bit-identical too.
 */
package dev.perennial.llava;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.Npy;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class GradientCheckpointingTest {
    private static final CpuBackend BE = new CpuBackend();
    private static final int BATCH = 4;

    private static Path golden() throws Exception {
        return Path.of(GradientCheckpointingTest.class.getResource("/golden").toURI());
    }

    /** Gradients of every watched tensor (by name) and the bytes of recorded outputs held between forward and backward. */
    private record Step(Map<String, float[]> grads, long heldAfterForward) {}

    private static Step step(LlavaModel m, Map<String, Tensor> watched, boolean checkpointing) throws Exception {
        Path g = golden().resolve("golden-tiny-llava-hf");
        List<long[]> ids = Collections.nCopies(BATCH, Npy.read(g.resolve("input_ids.npy")).toLongArray());
        List<long[]> labels = Collections.nCopies(BATCH, Npy.read(g.resolve("labels.npy")).toLongArray());
        Tensor pixels = BE.concat(Collections.nCopies(BATCH, Npy.read(g.resolve("pixel_values.npy"))), 0);
        m.decoder().setGradientCheckpointing(checkpointing);
        try (TensorScope scope = TensorScope.open()) {
            Tape tape = new Tape();
            watched.values().forEach(tape::watch);
            tape.watch(pixels);
            LlavaModel.Output out = m.forward(new GradBackend(BE, tape), ids, pixels, labels);
            long held = tape.recordedBytes();
            Gradients grads = tape.backward(out.lossTensor());
            Map<String, float[]> byName = new LinkedHashMap<>();
            for (var e : watched.entrySet()) {
                Tensor t = grads.of(e.getValue());
                if (t != null) byName.put(e.getKey(), t.toFloatArray());
            }
            byName.put("pixels", grads.of(pixels).toFloatArray());
            return new Step(byName, held);
        } finally {
            m.decoder().setGradientCheckpointing(false);
        }
    }

    @Test
    void fullFineTuningGradientsAreBitIdenticalAndLessIsHeld() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Step plain = step(m, m.weights(), false), recomputed = step(m, m.weights(), true);
            assertEquals(plain.grads().keySet(), recomputed.grads().keySet());
            assertTrue(plain.grads().size() > 40, "weights with gradients: " + plain.grads().size());
            for (String name : plain.grads().keySet()) {
                assertArrayEquals(plain.grads().get(name), recomputed.grads().get(name), name);
            }
            assertTrue(recomputed.heldAfterForward() < plain.heldAfterForward(),
                    "held after forward: " + recomputed.heldAfterForward() + " with checkpointing, " + plain.heldAfterForward() + " without");
        }
    }

    @Test
    void loraGradientsAreBitIdentical() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LoraConfig.llm(4, 8, 0f), 3);
            for (LoraAdapter ad : adapters.values()) {                       // B ≠ 0, so the adapters matter
                for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) Math.sin(i + 1) * 0.05f);
            }
            Map<String, Tensor> params = Lora.parameters(adapters);
            Step plain = step(m, params, false), recomputed = step(m, params, true);
            assertEquals(params.size(), plain.grads().size() - 1);
            for (String name : plain.grads().keySet()) {
                assertArrayEquals(plain.grads().get(name), recomputed.grads().get(name), name);
            }
        }
    }

    @Test
    void loraDropoutMasksAreReplayedInTheRecomputation() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LoraConfig.llm(4, 8, 0.3f), 3);
            for (LoraAdapter ad : adapters.values()) {
                ad.setTraining(true);
                for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) Math.sin(i + 1) * 0.05f);
            }
            Map<String, Tensor> params = Lora.parameters(adapters);
            adapters.values().forEach(ad -> ad.reseed(17));
            Step plain = step(m, params, false);
            adapters.values().forEach(ad -> ad.reseed(17));
            Step recomputed = step(m, params, true);
            adapters.values().forEach(ad -> ad.reseed(18));
            Step otherMasks = step(m, params, false);
            for (String name : plain.grads().keySet()) {
                assertArrayEquals(plain.grads().get(name), recomputed.grads().get(name), name);
            }
            assertFalse(java.util.Arrays.equals(plain.grads().get("pixels"), otherMasks.grads().get("pixels")),
                    "dropout is on: other masks give other gradients");
        }
    }
}
