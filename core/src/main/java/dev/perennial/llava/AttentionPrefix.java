/*
 * Prefix tuning of the decoder's attention for one batch (DualPrompt's "Pre-T", Wang et al., ECCV 2022;
 * docs/methods/modalprompt.md §14.2): the samples' per-layer prefix prompts p [L, Dkv] (PromptInsertion.prefixes),
 * split into p_K = p[0, L/2) and p_V = p[L/2, L), are prepended to that layer's keys and values:
 *
 *     K' = [p_K ; RoPE(x W_K)],   V' = [p_V ; x W_V]        queries unchanged: Q = RoPE(x W_Q)
 *
 * Choices (documented in docs/methods/modalprompt.md §14.2):
 *   - the halves enter after the K/V projections (no projection of the prefix), as DualPrompt's and CODA-Prompt's
 *     code do; their width is Dkv = kv heads × head size (= D for LLaVA-1.5's LLaMA, which has no grouped heads);
 *   - the prefix keys get no rotary position: they sit before position 0 like a KV cache filled without RoPE. A
 *     rotation by any fixed angle would only reparametrise a free parameter, so nothing is lost;
 *   - every query sees the whole prefix (causal masking covers the tokens only): the prefix is exactly P = L/2
 *     cached positions, so the attention mask is causal(start + P) with P valid keys in front — the structured mask
 *     every fused kernel (CPU, CUDA) already takes, and the KV cache keeps the prefix in its first P slots per layer;
 *   - token positions are unchanged (the prefix takes no position id).
 *
 * All samples of a batch must prefix the same layers with the same lengths (DualPrompt gives each sample one G- and
 * one E-prompt); a layer whose prefix has L = 0 is left out, so it computes exactly what it computes without one.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The attention prefixes of one batch: per decoder layer, each sample's prefix prompt {@code [L, Dkv]}; gives a
 * layer's prefix keys and values {@code [B, KV, L/2, hd]} (differentiable in the prompts on a GradBackend).
 * <p>Immutable after construction (the sample tensors are not copied; do not modify them while it is in use).
 */
public final class AttentionPrefix {
    private final SortedMap<Integer, List<Tensor>> layers;   // layer -> per sample [L, Dkv], L > 0

    private AttentionPrefix(SortedMap<Integer, List<Tensor>> layers) {
        this.layers = layers;
    }

    /**
     * The batch's prefixes, or null when no sample has one (or all have length 0).
     * @param prompts one insertion per sample (null elements allowed only when no sample has a prefix), or null
     * @throws IllegalArgumentException when samples prefix different layers or lengths, a layer is outside the
     *                                  model or a prefix's width is not the model's kv width
     */
    public static AttentionPrefix of(List<PromptInsertion> prompts, LlamaConfig cfg) {
        if (prompts == null || prompts.isEmpty()) return null;
        boolean any = false;
        for (PromptInsertion p : prompts) any |= p != null && !p.prefixes().isEmpty();
        if (!any) return null;
        int kvWidth = cfg.numKvHeads() * cfg.headDim();
        SortedMap<Integer, Integer> shape = null;
        SortedMap<Integer, List<Tensor>> layers = new TreeMap<>();
        for (int s = 0; s < prompts.size(); s++) {
            PromptInsertion p = prompts.get(s);
            SortedMap<Integer, Integer> lengths = new TreeMap<>();
            if (p != null) p.prefixes().forEach((layer, t) -> lengths.put(layer, t.size(0)));
            if (shape == null) shape = lengths;
            else if (!shape.equals(lengths)) {
                throw new IllegalArgumentException("every sample of a batch must prefix the same layers with the same lengths: sample 0 has "
                        + shape + " (layer=rows), sample " + s + " " + lengths);
            }
            if (p == null) continue;
            for (Map.Entry<Integer, Tensor> e : p.prefixes().entrySet()) {
                int layer = e.getKey();
                Tensor t = e.getValue();
                if (layer >= cfg.numLayers()) {
                    throw new IllegalArgumentException("a prefix for decoder layer " + layer + ", but the model has " + cfg.numLayers()
                            + " layers (0-" + (cfg.numLayers() - 1) + ")");
                }
                if (t.size(1) != kvWidth) {
                    throw new IllegalArgumentException("the layer-" + layer + " prefix has width " + t.size(1) + ", the model's keys and values "
                            + kvWidth + " (" + cfg.numKvHeads() + " kv heads × " + cfg.headDim() + ")");
                }
                if (t.size(0) > 0) layers.computeIfAbsent(layer, k -> new ArrayList<>()).add(t);
            }
        }
        return layers.isEmpty() ? null : new AttentionPrefix(layers);
    }

    /** P, the key (and value) positions the prefix adds to layer {@code layer}: L/2, or 0 when it has none. */
    public int positions(int layer) {
        List<Tensor> l = layers.get(layer);
        return l == null ? 0 : l.get(0).size(0) / 2;
    }

    /** P per layer of a decoder of {@code numLayers} layers. */
    public int[] positionsPerLayer(int numLayers) {
        int[] p = new int[numLayers];
        for (int i = 0; i < numLayers; i++) p[i] = positions(i);
        return p;
    }

    public boolean has(int layer) { return layers.containsKey(layer); }

    /** Every sample's prefix prompt of layer {@code layer} (for a tape's requires-grad check). */
    public List<Tensor> tensors(int layer) {
        List<Tensor> l = layers.get(layer);
        return l == null ? List.of() : List.copyOf(l);
    }

    /**
     * The prefix keys and values of layer {@code layer}: {k, v}, each [B, KV, P, hd] with B the batch and P = L/2.
     * Built with {@code be}, so on a GradBackend the gradient of each reaches the samples' prompts.
     */
    public Tensor[] keysValues(Backend be, int layer, int batch, int kvHeads, int headDim) {
        List<Tensor> samples = layers.get(layer);
        if (samples == null) throw new IllegalArgumentException("no prefix for layer " + layer);
        if (samples.size() != batch) throw new IllegalArgumentException(samples.size() + " prefixes for a batch of " + batch);
        int p = samples.get(0).size(0) / 2;
        return new Tensor[]{half(be, samples, 0, p, kvHeads, headDim), half(be, samples, p, p, kvHeads, headDim)};
    }

    /** Rows [from, from + p) of every sample, stacked: [B, p, Dkv] -> [B, KV, p, hd]. */
    private static Tensor half(Backend be, List<Tensor> samples, int from, int p, int kvHeads, int headDim) {
        List<Tensor> rows = new ArrayList<>(samples.size());
        for (Tensor s : samples) rows.add(s.narrow(0, from, p).unsqueeze(0));                 // [1, p, Dkv]
        Tensor stacked = rows.size() == 1 ? be.contiguous(rows.get(0)) : be.concat(rows, 0);  // [B, p, Dkv]
        return stacked.reshape(samples.size(), p, kvHeads, headDim).transpose(1, 2);          // [B, KV, p, hd]
    }

    /** Key validity [B][P + n] with the P prefix positions valid in front of {@code valid} [B][n]. */
    static boolean[][] withPrefix(boolean[][] valid, int p) {
        boolean[][] out = new boolean[valid.length][];
        for (int b = 0; b < valid.length; b++) {
            out[b] = new boolean[p + valid[b].length];
            Arrays.fill(out[b], 0, p, true);
            System.arraycopy(valid[b], 0, out[b], p, valid[b].length);
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("AttentionPrefix{");
        layers.forEach((l, t) -> s.append("layer ").append(l).append(": ").append(t.get(0).size(0) / 2).append(" positions; "));
        return s.append("batch ").append(layers.values().iterator().next().size()).append('}').toString();
    }
}
