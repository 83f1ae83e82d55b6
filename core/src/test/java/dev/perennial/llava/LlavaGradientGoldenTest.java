/*
 * Whole-model gradients against the reference implementation (docs/methods/llava-numerics.md
 * "Golden tensors" (e)): d(mean loss)/d(every parameter) from grads.safetensors (HF names), d/d(LM input
 * embeddings) and d/d(pixel values) (HF semantics: backward through the whole CLIP tower), each within 1e-4
 * absolute or 1e-3 relative to the tensor's abs max. Parameters the golden omits (the unused last CLIP layer,
 * post_layernorm) must get no or zero gradient.
 */
package dev.perennial.llava;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class LlavaGradientGoldenTest {

    private static void assertGradClose(String name, Tensor golden, Tensor actual) {
        assertNotNull(actual, name + ": no gradient");
        double absMax = 0;
        for (float v : golden.toFloatArray()) absMax = Math.max(absMax, Math.abs(v));
        double diff = maxAbsDiff(actual, golden);
        assertTrue(diff <= 1e-4 || diff <= 1e-3 * absMax, name + ": max |diff| " + diff + " (abs max " + absMax + ")");
    }

    @Test
    void everyGradientMatchesTheReference() throws IOException {
        try (LlavaModel model = LlavaModel.load(Goldens.tinyHf());
             TensorSource golden = TensorSource.open(Goldens.root().resolve("golden-tiny-llava-hf/grads.safetensors"))) {
            Tape tape = new Tape();
            GradBackend gb = new GradBackend(new CpuBackend(), tape);
            Map<String, Tensor> weights = model.weights();
            weights.values().forEach(tape::watch);
            Tensor pixels = tape.watch(npy("pixel_values"));
            LlavaModel.Output out = model.forward(gb, List.of(npy("input_ids").toLongArray()), pixels,
                    List.of(npy("labels").toLongArray()));
            assertEquals(9.329628944, out.loss(), 1e-5);
            tape.keep(out.inputs().embeds());                  // an intermediate: its gradient is freed unless kept
            Gradients grads = tape.backward(out.lossTensor());

            int compared = 0;
            for (var e : weights.entrySet()) {
                Tensor g = grads.of(e.getValue());
                if (golden.contains(e.getKey())) {
                    assertGradClose(e.getKey(), golden.tensor(e.getKey()), g);
                    compared++;
                } else if (g != null) {
                    for (float v : g.toFloatArray()) assertEquals(0f, v, e.getKey() + " gets no gradient in the reference");
                }
            }
            assertEquals(golden.names().size(), compared, "every golden gradient has a parameter");
            assertEquals(64 - 18, compared);  // summary.json params_without_grad: the last CLIP layer (16) + post_layernorm (2)
            assertGradClose("merged inputs embeds", npy("grad_merged_inputs_embeds"), grads.of(out.inputs().embeds()));
            assertGradClose("pixel values", npy("grad_pixel_values"), grads.of(pixels));
        }
    }
}
