/*
 * LlamaDecoder frees the temporaries of a layer that backward will not visit as soon as the layer is done, also on a
 * GradBackend: with only the last layer's LoRA adapters watched (how ADAPT-∞ scores a sample), the forward holds
 * markedly less native memory than with the first layer's watched (every layer then records). Counted with
 * JavaCPP's total of live native bytes on the tiny model (without the per-layer scope both held 813,440 bytes).
 */
package dev.perennial.llava;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Tape;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

class UnrecordedLayersTest {
    @Test
    void layersBackwardWillNotVisitHoldNothingAfterTheForward() throws IOException {
        try (LlavaModel m = LlavaModel.load(Goldens.tinyHf())) {
            Backend cpu = new CpuBackend();
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LoraConfig.llm(4, 8f, 0f), 0, cpu);
            int t = 48;
            long[] ids = new long[t], pos = new long[t];
            for (int i = 0; i < t; i++) {
                ids[i] = 3 + (7L * i) % 250;
                pos[i] = i;
            }
            for (int round = 0; round < 2; round++) {                               // the first round warms caches up
                long lastOnly = held(m, cpu, adapters, "layers.1.", ids, pos), all = held(m, cpu, adapters, "layers.0.", ids, pos);
                if (round == 1) {
                    assertTrue(lastOnly < 0.8 * all, "watching the last layer only held " + lastOnly + " bytes, watching the first "
                            + all + ": the first layer's temporaries were kept");
                }
            }
        }
    }

    /** Native bytes still held right after a forward whose tape watches the adapters of layer {@code layer}. */
    private static long held(LlavaModel m, Backend cpu, Map<String, LoraAdapter> adapters, String layer, long[] ids, long[] pos) {
        try (TensorScope ignored = TensorScope.open()) {
            Tape tape = new Tape();
            for (var e : adapters.entrySet()) {
                if (e.getKey().contains(layer)) {
                    tape.watch(e.getValue().a());
                    tape.watch(e.getValue().b());
                }
            }
            GradBackend gb = new GradBackend(cpu, tape);
            Tensor embeds = m.decoder().embed(cpu, Tensor.ofLongs(ids, 1, ids.length));
            long before = Pointer.totalBytes();
            LlamaDecoder.Hidden h = m.decoder().forward(gb, embeds, Tensor.ofLongs(pos, 1, pos.length), null, null);
            long grown = Pointer.totalBytes() - before;
            assertTrue(tape.requiresGrad(h.normed()), "the watched layer records");
            return grown;
        }
    }
}
