/*
 * The CLIP ViT vision tower as LLaVA uses it (llava-reference.md "Formats and tensor layouts", "Numerics"):
 * patch embedding (a Conv2d with stride = kernel = patch, computed as one matmul over flattened patches taken
 * row-major), class token prepended, learned position embeddings added, pre-LayerNorm ("pre_layrnorm", HF's
 * spelling), then pre-norm encoder layers (LayerNorm -> MHA -> residual, LayerNorm -> fc1 -> quick_gelu -> fc2
 * -> residual). hidden_states[0] is the embedding output after pre_layrnorm, hidden_states[i] the output of
 * layer i; post_layernorm is never applied on LLaVA's path. Only the layers up to the requested hidden state
 * are computed (feature layer -2 never runs the last layer).
 */
package dev.perennial.llava;

import dev.perennial.nn.LayerNorm;
import dev.perennial.nn.Linear;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

public final class ClipVisionTower {
    private final ClipVisionConfig cfg;
    private final Linear patchEmbedding;          // [D, C*p*p], no bias
    private final Tensor classEmbedding;          // [D]
    private final Tensor positionEmbedding;       // [1+P, D]
    private final LayerNorm preLayerNorm;
    private final List<Layer> layers;

    private record Layer(LayerNorm norm1, Linear q, Linear k, Linear v, Linear out, LayerNorm norm2, Linear fc1, Linear fc2) {}

    private ClipVisionTower(ClipVisionConfig cfg, Linear patchEmbedding, Tensor classEmbedding, Tensor positionEmbedding,
                            LayerNorm preLayerNorm, List<Layer> layers) {
        this.cfg = cfg;
        this.patchEmbedding = patchEmbedding;
        this.classEmbedding = classEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.preLayerNorm = preLayerNorm;
        this.layers = layers;
    }

    /** Loads every tower tensor (post_layernorm too, so the checkpoint check sees it used). */
    static ClipVisionTower load(ClipVisionConfig c, WeightLoader w) throws IOException {
        String p = "vision_tower.vision_model.";
        int d = c.hiddenSize(), inter = c.intermediateSize(), ps = c.patchSize();
        Tensor patch = w.get(p + "embeddings.patch_embedding.weight", d, c.numChannels(), ps, ps);
        Tensor cls = w.get(p + "embeddings.class_embedding", d);
        Tensor pos = w.get(p + "embeddings.position_embedding.weight", c.numPatches() + 1, d);
        LayerNorm pre = layerNorm(w, p + "pre_layrnorm", d, c.layerNormEps());
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            layers.add(new Layer(layerNorm(w, l + "layer_norm1", d, c.layerNormEps()),
                    linear(w, l + "self_attn.q_proj", d, d), linear(w, l + "self_attn.k_proj", d, d),
                    linear(w, l + "self_attn.v_proj", d, d), linear(w, l + "self_attn.out_proj", d, d),
                    layerNorm(w, l + "layer_norm2", d, c.layerNormEps()),
                    linear(w, l + "mlp.fc1", inter, d), linear(w, l + "mlp.fc2", d, inter)));
        }
        layerNorm(w, p + "post_layernorm", d, c.layerNormEps());   // unused on LLaVA's path, but part of the checkpoint
        Linear patchLinear = new Linear(p + "embeddings.patch_embedding", patch.reshape(d, c.numChannels() * ps * ps), null);
        return new ClipVisionTower(c, patchLinear, cls, pos, pre, layers);
    }

    private static Linear linear(WeightLoader w, String name, int out, int in) throws IOException {
        return w.linear(name, out, in, true);
    }

    private static LayerNorm layerNorm(WeightLoader w, String name, int d, float eps) throws IOException {
        return new LayerNorm(w.get(name + ".weight", d), w.get(name + ".bias", d), eps);
    }

    public ClipVisionConfig config() { return cfg; }

    /**
     * hidden_states[0..upTo] for pixels [B, C, S, S]: each [B, 1+P, D].
     * @param upTo last hidden-state index to compute (0 = embeddings only, numLayers = all)
     */
    public List<Tensor> hiddenStates(Backend be, Tensor pixels, int upTo) {
        int b = pixels.size(0), ch = cfg.numChannels(), s = cfg.imageSize(), ps = cfg.patchSize(), g = cfg.gridSize();
        if (pixels.rank() != 4 || pixels.size(1) != ch || pixels.size(2) != s || pixels.size(3) != s) {
            throw new IllegalArgumentException("pixel values must be [B, " + ch + ", " + s + ", " + s + "], got " + pixels);
        }
        // [B, C, g, p, g, p] -> [B, g, g, C, p, p] -> [B, P, C*p*p]: patches row-major, each flattened like the conv kernel
        Tensor patches = be.contiguous(pixels.reshape(b, ch, g, ps, g, ps).permute(0, 2, 4, 1, 3, 5))
                .reshape(b, g * g, ch * ps * ps);
        Tensor embeds = patchEmbedding.forward(be, patches);                               // [B, P, D]
        Tensor cls = classEmbedding.reshape(1, 1, cfg.hiddenSize()).expand(b, 1, cfg.hiddenSize());
        Tensor x = be.add(be.concat(List.of(cls, embeds), 1), positionEmbedding);           // [B, 1+P, D]
        x = preLayerNorm.forward(be, x);
        List<Tensor> states = new ArrayList<>();
        states.add(x);
        for (int i = 0; i < upTo; i++) {
            x = layer(be, layers.get(i), x);
            states.add(x);
        }
        return states;
    }

    private Tensor layer(Backend be, Layer l, Tensor x) {
        int b = x.size(0), t = x.size(1), h = cfg.numHeads(), hd = cfg.headDim();
        Tensor y = l.norm1.forward(be, x);
        Tensor q = heads(be, l.q.forward(be, y), b, t, h, hd);                              // [B, H, T, hd]
        Tensor k = heads(be, l.k.forward(be, y), b, t, h, hd);
        Tensor v = heads(be, l.v.forward(be, y), b, t, h, hd);
        Tensor a = be.attention(q, k, v, AttentionMask.none(), (float) (1 / Math.sqrt(hd)));
        x = be.add(x, l.out.forward(be, be.contiguous(a.transpose(1, 2)).reshape(b, t, h * hd)));
        y = l.norm2.forward(be, x);
        Tensor hidden = l.fc1.forward(be, y);
        hidden = cfg.hiddenAct() == ClipVisionConfig.Activation.QUICK_GELU ? be.quickGelu(hidden) : be.gelu(hidden);
        return be.add(x, l.fc2.forward(be, hidden));
    }

    /** [B, T, H*hd] -> contiguous [B, H, T, hd] */
    private static Tensor heads(Backend be, Tensor x, int b, int t, int h, int hd) {
        return be.contiguous(x.reshape(b, t, h, hd).transpose(1, 2));
    }
}
