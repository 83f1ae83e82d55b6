/*
 * DualPrompt's composer (Wang et al., ECCV 2022; docs/methods/modalprompt.md §14.2): no input rows; the sample's
 * selected E-prompt and the pool's shared G-prompt are prefix-tuned into decoder layers (AttentionPrefix):
 *
 *   G-prompt  one prompt shared by every task (the pool's shared prompt), [|gLayers| · Lg, Dkv]: layer gLayers[j]
 *             gets rows [j Lg, (j + 1) Lg), of which the first Lg/2 are prepended to its keys, the rest to its values;
 *   E-prompt  the selected entry's prompt, [|eLayers| · Le, Dkv], cut the same way over eLayers.
 *
 * The pieces are views of the prompt tensors (no op is recorded), so the decoder stacks them itself and gradients
 * reach the prompts, gradient checkpointing included. The paper puts G in layers 0-1 and E in layers 2-4 of ViT-B;
 * a layer gets at most one of them (G and E layers are disjoint), as in its code.
 *
 * Initialisation: the paper draws prompts uniformly; here each layer's slice starts as the keys and values that
 * uniformly drawn vocabulary rows have in that layer at position 0 (LlamaDecoder.keysAndValuesOf), so a new prefix
 * sits where the frozen LLM's keys and values are instead of at an arbitrary scale.
 */
package dev.perennial.prompt;

import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Prefix-tunes the selected prompt into {@code eLayers} and the pool's shared prompt into {@code gLayers} (DualPrompt).
 * The composer "layer-prefix".
 * <p>Immutable (the lists are copied); safe to share between threads.
 *
 * @param gLayers decoder layers of the G-prompt (may be empty: no shared prompt)
 * @param gLength Lg, rows of the G-prompt per layer (even: Lg/2 key rows, Lg/2 value rows)
 * @param eLayers decoder layers of the E-prompts (at least one)
 * @param eLength Le, rows of an E-prompt per layer (even)
 */
public record LayerPrefixComposer(List<Integer> gLayers, int gLength, List<Integer> eLayers, int eLength) implements PromptComposer {
    public LayerPrefixComposer {
        gLayers = List.copyOf(gLayers);
        eLayers = List.copyOf(eLayers);
        if (eLayers.isEmpty()) throw new IllegalArgumentException("the E-prompt needs at least one layer");
        if (eLength < 2 || eLength % 2 != 0) {
            throw new IllegalArgumentException("the E-prompt length must be even and >= 2 (half keys, half values), got " + eLength);
        }
        if (!gLayers.isEmpty() && (gLength < 2 || gLength % 2 != 0)) {
            throw new IllegalArgumentException("the G-prompt length must be even and >= 2 (half keys, half values), got " + gLength);
        }
        Set<Integer> seen = new HashSet<>();
        for (List<Integer> layers : List.of(gLayers, eLayers)) {
            for (int l : layers) {
                if (l < 0) throw new IllegalArgumentException("prompt layers are >= 0, got " + l);
                if (!seen.add(l)) {
                    throw new IllegalArgumentException("layer " + l + " is listed twice (G layers " + gLayers + ", E layers " + eLayers
                            + "): a layer gets at most one prompt");
                }
            }
        }
    }

    @Override public String type() { return "layer-prefix"; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gLayers", gLayers);
        m.put("gLength", gLength);
        m.put("eLayers", eLayers);
        m.put("eLength", eLength);
        return m;
    }

    /** Rows of an E-prompt entry: |eLayers| · Le. */
    public int entryRows() { return eLayers.size() * eLength; }

    @Override public int sharedRows() { return gLayers.size() * gLength; }

    @Override public int promptWidth(int hidden, int kvWidth) { return kvWidth; }

    @Override
    public void validate(PromptPoolConfig config) {
        if (config.promptLength() != entryRows()) {
            throw new IllegalArgumentException("a layer-prefix pool's prompt length must be |E layers| × Le = " + entryRows() + ", got "
                    + config.promptLength());
        }
        if (!"argmax".equals(config.selector().type())) {
            throw new IllegalArgumentException("the layer-prefix composer takes one selected prompt per sample (the argmax selector), not "
                    + config.selector().type());
        }
    }

    @Override
    public void checkModel(LlamaConfig text) {
        for (List<Integer> layers : List.of(gLayers, eLayers)) {
            for (int l : layers) {
                if (l >= text.numLayers()) {
                    throw new IllegalArgumentException("prompt layer " + l + " (" + (layers == gLayers ? "G" : "E") + " layers " + layers
                            + ") is beyond the model's " + text.numLayers() + " decoder layers (0-" + (text.numLayers() - 1) + ")");
                }
            }
        }
    }

    @Override
    public PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights) {
        throw new IllegalStateException("the layer-prefix composer needs the pool's shared prompt");
    }

    @Override
    public PromptInsertion compose(Backend be, List<Tensor> prompts, float[] weights, Tensor shared) {
        if (prompts.size() != 1) throw new IllegalArgumentException("the layer-prefix composer takes one prompt per sample, got " + prompts.size());
        Tensor e = prompts.get(0);                                                    // [|E| Le, Dkv]
        if (e.size(0) != entryRows()) throw new IllegalArgumentException("an E-prompt has " + entryRows() + " rows, got " + e.size(0));
        SortedMap<Integer, Tensor> prefixes = new TreeMap<>();
        for (int i = 0; i < eLayers.size(); i++) prefixes.put(eLayers.get(i), e.narrow(0, i * eLength, eLength));         // [Le, Dkv]
        if (!gLayers.isEmpty()) {
            if (shared == null || shared.size(0) != sharedRows()) {
                throw new IllegalStateException("the G-prompt must be [" + sharedRows() + ", Dkv], got " + (shared == null ? "none" : shared));
            }
            for (int j = 0; j < gLayers.size(); j++) prefixes.put(gLayers.get(j), shared.narrow(0, j * gLength, gLength));  // [Lg, Dkv]
        }
        return PromptInsertion.prefixOnly(prefixes);
    }

    /** Each layer's slice: the keys and values (at position 0) of uniformly drawn vocabulary rows in that layer. */
    @Override
    public Tensor initialPrompt(LlamaDecoder decoder, Backend be, int vocab, int rows, boolean shared, long seed) {
        List<Integer> layers = shared ? gLayers : eLayers;
        int length = shared ? gLength : eLength;
        if (rows != layers.size() * length) throw new IllegalArgumentException(rows + " rows for " + layers.size() + " layers of " + length);
        checkModel(decoder.config());
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> parts = new ArrayList<>();
        int width = 0;
        try (TensorScope ignored = TensorScope.open()) {
            for (int layer : layers) {
                Tensor x = PromptPool.vocabularyInit(decoder.embeddingTable(), vocab, length, rng.nextLong());    // [L, D]
                Tensor kv = decoder.keysAndValuesOf(be, layer, x);                                                  // [L, Dkv]
                width = kv.size(1);
                parts.add(kv.to(DType.F32).contiguous().toFloatArray());
            }
        }
        float[] out = new float[rows * width];
        for (int i = 0; i < parts.size(); i++) System.arraycopy(parts.get(i), 0, out, i * length * width, length * width);
        return Tensor.of(out, rows, width);
    }
}
