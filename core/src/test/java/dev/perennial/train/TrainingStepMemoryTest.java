/*
 * A training step of the same shapes as the one before it takes no new host memory: every large block it needs comes from HostMemoryPool's cache, and a step's intermediates are all returned
 * when it ends. Counted on the tiny LLaVA with LoRA on every linear layer, image included.
 */
package dev.perennial.train;

import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.HostMemoryPool;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainingStepMemoryTest {
    @Test
    void aRepeatedStepAllocatesNothingNew() throws Exception {
        Path golden = Path.of(getClass().getResource("/golden").toURI());
        Path g = golden.resolve("golden-tiny-llava-hf");
        try (LlavaModel m = LlavaModel.load(golden.resolve("tiny-llava-hf"))) {
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LoraConfig.llm(4, 8, 0f), 3);
            Map<String, Tensor> params = new LinkedHashMap<>();
            adapters.forEach((name, ad) -> {
                params.put(name + ".a", ad.a());
                params.put(name + ".b", ad.b());
            });
            int batch = 8;                                      // so that logits and hidden states reach the pool's sizes
            List<long[]> ids = java.util.Collections.nCopies(batch, Npy.read(g.resolve("input_ids.npy")).toLongArray());
            List<long[]> labels = java.util.Collections.nCopies(batch, Npy.read(g.resolve("labels.npy")).toLongArray());
            CpuBackend be = new CpuBackend();
            Tensor pixels = be.concat(java.util.Collections.nCopies(batch, Npy.read(g.resolve("pixel_values.npy"))), 0);
            double first = step(m, be, params, ids, pixels, labels);
            System.gc();                                          // so that no earlier garbage is freed during the step
            Pointer.deallocateReferences();
            long live = Pointer.totalBytes();
            long[] before = HostMemoryPool.hitsAndMisses();
            double second = step(m, be, params, ids, pixels, labels);
            long[] after = HostMemoryPool.hitsAndMisses();
            assertEquals(first, second, "the same step");
            assertTrue(after[0] > before[0], "the step used pooled blocks");
            assertEquals(before[1], after[1], "no pooled block was allocated anew in the second step");
            assertTrue(Pointer.totalBytes() <= live, "the step returned everything it took: " + live + " -> " + Pointer.totalBytes());
        }
    }

    private static double step(LlavaModel m, CpuBackend be, Map<String, Tensor> params, List<long[]> ids, Tensor pixels, List<long[]> labels) {
        TrainingStep.Result r = TrainingStep.run(m, be, params, null, ids, pixels, labels);
        assertFalse(r.gradients().isEmpty());
        r.gradients().values().forEach(t -> t.storage().close());
        return r.loss();
    }
}
