/*
 * Which LoRA tensors make up ADAPT-∞'s gradient feature g(z) (docs/methods/adapt-inf.md §2.3): the A and B matrices of the
 * adapters in the chosen decoder layers 𝓛 (default: the last layer, the official layer_dims = [31] of the
 * 32-layer LLaVA-1.5-7B). A parameter's layer is the FIRST integer in its name, as the official
 * get_layer_dim_from_param_name does: base_model.model.language_model.model.layers.31.self_attn.q_proj.lora_A.weight
 * is in layer 31. (So a LoRA on the projector, multi_modal_projector.linear_1, would count as "layer 1": the
 * official rule, kept; LLaVA's LoRA targets only the language model.)
 *
 * Order of the flattened gradient: named_parameters() order, i.e. layers ascending and, inside a layer, the
 * model's module order q, k, v, o, gate, up, down with A [r, in] then B [out, r] for each, each tensor row-major.
 * With several layers the official code writes one projected file per layer; here the layers' gradients are
 * concatenated in that order and projected as one vector (identical for the default single layer).
 *
 * Length per layer, for the LLaVA LoRA targets: r·[(D + H·hd) + 2·(D + KV·hd) + (H·hd + D) + 3·(D + I)]
 * (q, k, v, o, gate, up, down; D hidden, I intermediate, H/KV heads, hd head dim), which is
 * r·(4·(4096 + 4096) + 3·(4096 + 11008)) = 78,080·r for LLaMA-2-7B (spec §2.3).
 *
 * Models without adapters: per-sample LoRA gradients need adapters, so attachFresh() puts fresh ones (PEFT
 * initialisation, seeded) on the chosen layers only. A fresh adapter has B = 0, so the model's outputs do not
 * change and the A gradients are zero (∂L/∂A = s·Σ (Bᵀδ) uᵀ = 0): the feature is then the B gradient
 * s·(∂L/∂W)·Aᵀ, a seeded random sketch of the weight gradient of each projection.
 */
package dev.perennial.select;

import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Linear;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which LoRA tensors make up ADAPT-∞'s gradient feature: {@code select} returns a model's adapters in the chosen
 * decoder layers (a name's layer is its first integer) in gradient order, {@code attachFresh} attaches fresh seeded
 * adapters there, and {@code gradientLength} and {@code perLayerLength} count gradient coordinates.
 * <p>Stateless; its static methods are safe to call from several threads, except that {@code attachFresh} changes the
 * model's layers: do not run it while the model is in use.
 */
public final class LoraLayers {
    private static final Pattern FIRST_INTEGER = Pattern.compile("\\d+");

    private LoraLayers() {}

    /** The layer of a parameter or module name: its first integer, or -1 when it has none. */
    public static int layerOf(String name) {
        Matcher m = FIRST_INTEGER.matcher(name);
        return m.find() ? Integer.parseInt(m.group()) : -1;
    }

    /** The default layer set: the model's last decoder layer. */
    public static List<Integer> lastLayer(LlavaModel model) {
        return List.of(model.config().text().numLayers() - 1);
    }

    /**
     * The adapters attached to {@code model} whose module is in one of {@code layers}, in gradient order (layers
     * ascending, module order inside a layer). Every chosen layer must have at least one adapter.
     */
    public static Map<String, LoraAdapter> select(LlavaModel model, List<Integer> layers) {
        SortedSet<Integer> chosen = new TreeSet<>(layers);
        List<Map.Entry<String, LoraAdapter>> found = new ArrayList<>();
        for (var e : model.linears().entrySet()) {
            LoraAdapter ad = e.getValue().adapter();
            if (ad != null && chosen.contains(layerOf(e.getKey()))) found.add(Map.entry(e.getKey(), ad));
        }
        found.sort(Comparator.comparingInt(e -> layerOf(e.getKey())));     // stable: module order inside a layer
        Map<String, LoraAdapter> out = new LinkedHashMap<>();
        for (var e : found) out.put(e.getKey(), e.getValue());
        for (int layer : chosen) {
            if (out.keySet().stream().noneMatch(n -> layerOf(n) == layer)) {
                throw new IllegalArgumentException("no LoRA adapter in layer " + layer + " (layers with adapters: "
                        + new TreeSet<>(model.linears().entrySet().stream().filter(e -> e.getValue().adapter() != null)
                        .map(e -> layerOf(e.getKey())).toList()) + ")");
            }
        }
        return out;
    }

    /**
     * Attaches fresh adapters of rank r (A Kaiming-uniform from {@code seed}, B = 0) to the LLaVA LoRA targets of
     * the chosen decoder layers; see the class comment for what the gradient then is.
     */
    public static Map<String, LoraAdapter> attachFresh(LlavaModel model, List<Integer> layers, int rank, float alpha, long seed) {
        int n = model.config().text().numLayers();
        for (int layer : layers) {
            if (layer < 0 || layer >= n) throw new IllegalArgumentException("layer " + layer + " is not in [0, " + n + ")");
        }
        Map<String, Linear> targets = new LinkedHashMap<>();
        model.linears().forEach((name, linear) -> {
            if (layers.contains(layerOf(name))) targets.put(name, linear);
        });
        return Lora.attach(targets, LoraConfig.llm(rank, alpha, 0f), seed);
    }

    /** Σ r·(in + out) over the adapters: the number of gradient coordinates. */
    public static long gradientLength(Map<String, LoraAdapter> adapters) {
        long n = 0;
        for (LoraAdapter ad : adapters.values()) n += (long) ad.rank() * (ad.inFeatures() + ad.outFeatures());
        return n;
    }

    /** The per-layer gradient length of rank-r adapters on the LLaVA targets of a decoder with this shape. */
    public static long perLayerLength(LlamaConfig c, int rank) {
        long d = c.hiddenSize(), q = (long) c.numHeads() * c.headDim(), kv = (long) c.numKvHeads() * c.headDim();
        long i = c.intermediateSize();
        return rank * ((d + q) + 2 * (d + kv) + (q + d) + 3 * (d + i));
    }
}
