/*
 * The multimodal projector from CLIP features to the LLM's embedding space: linear_1 -> GELU (exact erf form)
 * -> linear_2 for mlp2x_gelu (LLaVA-1.5, llava-hf), or a single linear layer (original "linear"). LLaVA's LoRA recipe
 * trains it beside the adapters (at lr 2e-5, docs/methods/adapt-inf.md §1.3): makeTrainable turns its weights and
 * biases into writable float32 copies.
 */
package dev.perennial.llava;

import dev.perennial.nn.Linear;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LLaVA's multimodal projector from CLIP features {@code [..., Dv]} to the language model's embedding space
 * {@code [..., Dt]}: linear, exact GELU, linear (mlp2x_gelu), or a single linear layer.
 * {@code makeTrainable} turns its weights and biases into writable float32 copies for training.
 * <p>Thread-safe for inference: its fields are final and {@code forward} only reads the weights, so several threads may
 * call it with a thread-safe backend while nothing modifies its {@code Linear} layers (LoRA attach, merge, making them
 * trainable, or training).
 */
public final class Projector {
    private final Linear linear1;
    private final Linear linear2;    // null for the single-linear projector

    private Projector(Linear linear1, Linear linear2) {
        this.linear1 = linear1;
        this.linear2 = linear2;
    }

    static Projector load(LlavaConfig c, WeightLoader w) throws IOException {
        int dv = c.vision().hiddenSize(), dt = c.text().hiddenSize();
        Linear l1 = w.linear("multi_modal_projector.linear_1", dt, dv, true);
        if (c.projectorType() == LlavaConfig.ProjectorType.LINEAR) return new Projector(l1, null);
        return new Projector(l1, w.linear("multi_modal_projector.linear_2", dt, dt, true));
    }

    /** Its weights and biases by llava-hf parameter name ("multi_modal_projector.linear_1.weight", ...), as they are now. */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>(linear1.parameters());
        if (linear2 != null) p.putAll(linear2.parameters());
        return p;
    }

    /**
     * Makes its weights and biases trainable: writable float32 copies in {@code be}'s memory (Linear.makeTrainable; the
     * checkpoint is never written), returned by llava-hf parameter name.
     */
    public Map<String, Tensor> makeTrainable(Backend be) {
        linear1.makeTrainable(be);
        if (linear2 != null) linear2.makeTrainable(be);
        return parameters();
    }

    /** gelu(linear_1(x)) for mlp2x_gelu (the golden's projector_hidden_act_out); linear_1(x) for a linear projector. */
    public Tensor hidden(Backend be, Tensor features) {
        Tensor h = linear1.forward(be, features);
        return linear2 == null ? h : be.gelu(h);
    }

    /** features [..., Dv] -> [..., Dt] */
    public Tensor forward(Backend be, Tensor features) {
        Tensor h = hidden(be, features);
        return linear2 == null ? h : linear2.forward(be, h);
    }
}
