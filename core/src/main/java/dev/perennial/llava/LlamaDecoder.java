/*
 * The LLaMA decoder of LLaVA-1.5 (docs/methods/llava-numerics.md "Numerics to match"): token embedding, pre-norm layers
 * (RMSNorm -> attention with rotate-half RoPE and grouped kv heads, causal, softmax in float32 -> residual;
 * RMSNorm -> down(silu(gate(x)) * up(x)) -> residual), final RMSNorm, untied or tied lm_head.
 *
 * forward() takes input embeddings (LLaVA splices image features into them), explicit position ids [B, T]
 * (so that left-padded rows get the same positions as unpadded ones) and key validity (padding masks); with a
 * KvCache it appends to the cache and attends over the cached prefix too; that path is inference only, so each
 * layer runs in a TensorScope that frees its temporaries as soon as the layer is done. Without a cache the same
 * holds for every layer that backward will not visit: on a plain backend, and on a GradBackend for a layer whose
 * input and parameters (LoRA adapters included) require no gradient — e.g. the layers below the last one when
 * ADAPT-∞ scores a sample by its last layer's LoRA gradient (docs/performance.md, "7B on a 24 GiB CPU machine"). Such a
 * layer records nothing, so only its output can matter afterwards.
 *
 * Attention prefixes (prefix tuning, AttentionPrefix): a layer with a prefix of P positions attends over
 * [prefix keys; token keys] with the mask causal(start + P) and P valid keys in front, i.e. as if P positions were
 * already cached — the fused CPU and CUDA kernels take that mask as it is. Without a cache the prefix is
 * concatenated to the layer's keys and values (recorded, so gradients reach the prompts); with a cache the first
 * pass writes it into the cache's first P slots of that layer and later steps read it from there. A prefixed layer
 * is never gradient-checkpointed (it runs recorded as usual): the prefix may come from recorded ops outside the
 * segment, which GradBackend.checkpoint does not allow.
 */
package dev.perennial.llava;

import dev.perennial.nn.Linear;
import dev.perennial.nn.RmsNorm;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * LLaVA-1.5's LLaMA decoder: input embeddings {@code [B, T, D]} with position ids {@code [B, T]} and key validity give
 * each layer's output and the final-norm hidden states {@code [B, T, D]}, which {@code logits} maps to
 * {@code [B, T, V]}; with a {@link KvCache} it appends to the cache and attends over the cached prefix.
 * <p>Thread-safe for inference: its fields are final (the checkpointing flag is volatile) and {@code forward} only
 * reads the weights, so several threads may run it with a thread-safe backend, each with its own {@code KvCache}.
 * Training (a {@code GradBackend}, LoRA in training mode) is one thread at a time, with no inference meanwhile.
 */
public final class LlamaDecoder {
    private final LlamaConfig cfg;
    private final Tensor embedTokens;     // [V, D]
    private final List<Layer> layers;
    private final RmsNorm norm;
    private final Linear lmHead;          // [V, D], no bias

    private record Layer(RmsNorm inputNorm, Linear q, Linear k, Linear v, Linear o, RmsNorm postNorm,
                         Linear gate, Linear up, Linear down) {}

    private LlamaDecoder(LlamaConfig cfg, Tensor embedTokens, List<Layer> layers, RmsNorm norm, Linear lmHead) {
        this.cfg = cfg;
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
    }

    static LlamaDecoder load(LlamaConfig c, WeightLoader w) throws IOException {
        String p = "language_model.model.";
        int d = c.hiddenSize(), inter = c.intermediateSize(), q = c.numHeads() * c.headDim(), kv = c.numKvHeads() * c.headDim();
        float eps = c.rmsNormEps();
        Tensor embed = w.get(p + "embed_tokens.weight", c.vocabSize(), d);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String l = p + "layers." + i + ".";
            layers.add(new Layer(new RmsNorm(w.get(l + "input_layernorm.weight", d), eps),
                    linear(w, l + "self_attn.q_proj", q, d), linear(w, l + "self_attn.k_proj", kv, d),
                    linear(w, l + "self_attn.v_proj", kv, d), linear(w, l + "self_attn.o_proj", d, q),
                    new RmsNorm(w.get(l + "post_attention_layernorm.weight", d), eps),
                    linear(w, l + "mlp.gate_proj", inter, d), linear(w, l + "mlp.up_proj", inter, d),
                    linear(w, l + "mlp.down_proj", d, inter)));
        }
        RmsNorm norm = new RmsNorm(w.get(p + "norm.weight", d), eps);
        boolean tied = c.tieWordEmbeddings() && !w.has("language_model.lm_head.weight");
        Linear head = tied ? new Linear("language_model.lm_head", embed, null) : w.linear("language_model.lm_head", c.vocabSize(), d, false);
        return new LlamaDecoder(c, embed, layers, norm, head);
    }

    private static Linear linear(WeightLoader w, String name, int out, int in) throws IOException {
        return w.linear(name, out, in, false);
    }

    public LlamaConfig config() { return cfg; }

    /** The dtype of a KV cache for this decoder on {@code be}: Backend.kvCacheType of its key projection's weights. */
    public DType kvCacheType(Backend be) { return be.kvCacheType(layers.get(0).k().weight().dtype()); }

    private volatile boolean checkpointing;

    /**
     * Gradient checkpointing: when training (a recording GradBackend, no KV cache), each decoder layer keeps only
     * its output and is recomputed during backward (GradBackend.checkpoint): activation memory of one layer
     * instead of all, for one more forward pass. Gradients are unchanged (LoRA dropout replays its masks). Not for
     * activation capture (per-sample gradients).
     */
    public void setGradientCheckpointing(boolean on) { this.checkpointing = on; }

    public boolean gradientCheckpointing() { return checkpointing; }


    /** Token embeddings: ids [...] -> [..., D]. */
    /** The input embedding table [V, D] (read-only use: e.g. prompt initialisation from vocabulary rows). */
    public Tensor embeddingTable() { return embedTokens; }

    public Tensor embed(Backend be, Tensor ids) {
        return be.embedding(embedTokens, ids);
    }

    /**
     * The keys and values that rows {@code x [L, D]} (L even) would have in layer {@code layer} at position 0 (where
     * RoPE is the identity): rows [0, L/2) through the layer's input norm and K projection, rows [L/2, L) through
     * its V projection -> [L, Dkv]. A prefix prompt initialised so starts where real tokens' keys and values are
     * (PromptComposer.LayerPrefix initialises DualPrompt's prompts from vocabulary rows this way).
     */
    public Tensor keysAndValuesOf(Backend be, int layer, Tensor x) {
        if (layer < 0 || layer >= layers.size()) {
            throw new IllegalArgumentException("decoder layer " + layer + " outside the model's " + layers.size() + " layers (0-" + (layers.size() - 1) + ")");
        }
        if (x.rank() != 2 || x.size(0) % 2 != 0 || x.size(1) != cfg.hiddenSize()) {
            throw new IllegalArgumentException("rows must be [L, " + cfg.hiddenSize() + "] with L even, got " + java.util.Arrays.toString(x.shape()));
        }
        int half = x.size(0) / 2;
        Layer l = layers.get(layer);
        Tensor y = l.inputNorm.forward(be, x);                                                       // [L, D]
        return be.concat(List.of(l.k.forward(be, y.narrow(0, 0, half)), l.v.forward(be, y.narrow(0, half, half))), 0);   // [L, Dkv]
    }

    /** Hidden states of one forward pass: after each layer, and after the final norm. */
    public record Hidden(List<Tensor> layerOutputs, Tensor normed) {}

    /**
     * @param embeds    [B, T, D] input embeddings
     * @param positions [B, T] position ids (I64)
     * @param keyValid  [B][T] false at padding positions (null: all valid); ignored for cached positions, whose
     *                  validity the cache keeps
     * @param cache     null for a plain forward pass
     */
    public Hidden forward(Backend be, Tensor embeds, Tensor positions, boolean[][] keyValid, KvCache cache) {
        return forward(be, embeds, positions, keyValid, cache, null);
    }

    /**
     * As forward(), with attention prefixes (prefix tuning).
     * @param prefix the batch's per-layer prefixes, or null; with a cache, only on its first pass (the cache must have
     *               been made with {@code prefix.positionsPerLayer(numLayers)}): later steps read the prefix from the cache
     */
    public Hidden forward(Backend be, Tensor embeds, Tensor positions, boolean[][] keyValid, KvCache cache, AttentionPrefix prefix) {
        int b = embeds.size(0), t = embeds.size(1);
        int start = cache == null ? 0 : cache.length();
        int[] prefixPositions = prefix == null ? new int[layers.size()] : prefix.positionsPerLayer(layers.size());
        if (cache != null) {
            if (prefix != null && (start != 0 || !java.util.Arrays.equals(prefixPositions, cache.prefixPositions()))) {
                throw new IllegalArgumentException("an attention prefix enters with the first pass over a cache made for it (prefix positions "
                        + java.util.Arrays.toString(prefixPositions) + ", the cache's " + java.util.Arrays.toString(cache.prefixPositions())
                        + ", cached positions " + start + ")");
            }
            if (prefix == null && !cache.prefixFilled()) {
                throw new IllegalArgumentException("the cache reserves attention-prefix slots " + java.util.Arrays.toString(cache.prefixPositions())
                        + " that no pass has filled: give the prefix to the first pass");
            }
            prefixPositions = cache.prefixPositions();
        }
        boolean[][] valid = keyValid;
        if (valid == null) {
            valid = new boolean[b][t];
            for (boolean[] row : valid) java.util.Arrays.fill(row, true);
        }
        if (cache != null) {
            cache.reserve(valid);
            valid = cache.keyValid(start + t);
        }
        boolean allValid = allTrue(valid);
        AttentionMask plain = AttentionMask.causal(start, allValid ? null : valid);   // keys [B, start+T]
        // a layer with a prefix of P positions: P always-valid keys in front, seen by every query
        java.util.Map<Integer, AttentionMask> masks = new java.util.HashMap<>();
        masks.put(0, plain);
        for (int p : prefixPositions) {
            if (p > 0 && !masks.containsKey(p)) masks.put(p, AttentionMask.causal(start + p, allValid ? null : AttentionPrefix.withPrefix(valid, p)));
        }
        Tensor pos = be.place(positions);         // once for all layers (a device copies it in here, not per rope)
        Tensor x = embeds;
        List<Tensor> outputs = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            AttentionMask mask = masks.get(prefixPositions[i]);
            AttentionPrefix layerPrefix = prefix != null && prefix.has(i) ? prefix : null;
            if (cache == null && checkpointing && layerPrefix == null && be instanceof dev.perennial.autograd.GradBackend gb) {
                int index = i;
                Tensor in = x;
                x = gb.checkpoint(in, seg -> layer(seg, index, layers.get(index), in, pos, mask, null, null));
            } else if (cache == null && recorded(be, layers.get(i), x, layerPrefix, i)) {
                x = layer(be, i, layers.get(i), x, pos, mask, null, layerPrefix);
            } else {
                // inference (the KV-cache path never records for backward), or a layer backward will not visit:
                // free each layer's temporaries at once
                try (TensorScope scope = TensorScope.open()) {
                    x = scope.keep(layer(be, i, layers.get(i), x, pos, mask, cache, layerPrefix));
                }
            }
            outputs.add(x);
        }
        if (cache != null) cache.advance(t);
        return new Hidden(outputs, norm.forward(be, x));
    }

    /** Vocabulary logits of final hidden states: [..., D] -> [..., V]. */
    public Tensor logits(Backend be, Tensor normed) {
        return lmHead.forward(be, normed);
    }

    /**
     * True when a GradBackend will record this layer: its input, one of its parameters or its attention prefix
     * requires a gradient.
     */
    private static boolean recorded(Backend be, Layer l, Tensor x, AttentionPrefix prefix, int index) {
        if (!(be instanceof dev.perennial.autograd.GradBackend gb)) return false;
        var tape = gb.tape();
        if (tape.requiresGrad(x) || tape.requiresGrad(l.inputNorm().weight()) || tape.requiresGrad(l.postNorm().weight())) return true;
        if (prefix != null) for (Tensor p : prefix.tensors(index)) if (tape.requiresGrad(p)) return true;
        for (Linear lin : new Linear[]{l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down()}) {
            if (tape.requiresGrad(lin.weight()) || tape.requiresGrad(lin.bias())) return true;
            var ad = lin.adapter();
            if (ad != null && (tape.requiresGrad(ad.a()) || tape.requiresGrad(ad.b()))) return true;
        }
        return false;
    }

    private static boolean allTrue(boolean[][] valid) {
        for (boolean[] row : valid) for (boolean v : row) if (!v) return false;
        return true;
    }

    /** One decoder layer; {@code prefix} (null: none) has a prefix for this layer, {@code mask} accounts for it. */
    private Tensor layer(Backend be, int index, Layer l, Tensor x, Tensor positions, AttentionMask mask,
                         KvCache cache, AttentionPrefix prefix) {
        int b = x.size(0), t = x.size(1), h = cfg.numHeads(), kvh = cfg.numKvHeads(), hd = cfg.headDim();
        Tensor y = l.inputNorm.forward(be, x);
        Tensor[] qkv = Linear.forwardShared(be, y, l.q, l.k, l.v);                                     // [B, T, *]: one job
        Tensor q = be.rope(qkv[0].reshape(b, t, h, hd).transpose(1, 2), positions, cfg.ropeTheta());    // [B, H, T, hd]
        Tensor k = be.rope(qkv[1].reshape(b, t, kvh, hd).transpose(1, 2), positions, cfg.ropeTheta()); // [B, KV, T, hd]
        Tensor v = qkv[2].reshape(b, t, kvh, hd).transpose(1, 2);                                      // [B, KV, T, hd]
        if (prefix != null) {
            Tensor[] p = prefix.keysValues(be, index, b, kvh, hd);                                                // 2 x [B, KV, P, hd]
            if (cache != null) {
                cache.putPrefix(index, p[0], p[1]);                                                              // its first P slots
            } else {
                k = be.concat(List.of(p[0], k), 2);                                                              // [B, KV, P+T, hd]
                v = be.concat(List.of(p[1], v), 2);
            }
        }
        if (cache != null) {
            cache.put(index, k, v);
            // A first pass over a half-precision cache (no cached position, no prefix) attends over its own float32
            // keys and values; the cache keeps their rounded copies for the decode steps. Reading them back would
            // widen the whole cache once more in the prefill (docs/architecture.md, "KV cache precision").
            boolean fresh = cache.dtype() != DType.F32 && cache.length() == 0 && cache.prefixPositions(index) == 0;
            if (!fresh) {
                k = cache.keys(index, t);
                v = cache.values(index, t);
            }
        }
        Tensor a = be.attention(q, k, v, mask, (float) (1 / Math.sqrt(hd)));                                   // [B, H, T, hd]
        x = be.add(x, l.o.forward(be, be.contiguous(a.transpose(1, 2)).reshape(b, t, h * hd)));
        y = l.postNorm.forward(be, x);
        Tensor[] gateUp = Linear.forwardShared(be, y, l.gate, l.up);
        Tensor mlp = l.down.forward(be, be.swiglu(gateUp[0], gateUp[1]));
        return be.add(x, mlp);
    }
}
