/*
 * The CLIP ViT vision tower (HF CLIPVisionTransformer; docs/methods/llava-numerics.md "Formats and tensor layouts",
 * "Numerics"): patch embedding (a Conv2d with stride = kernel = patch: the backend's PatchEmbedding op when it offers
 * one, e.g. cuDNN's convolution, else one matmul over flattened patches taken row-major), class token prepended, learned position embeddings added, pre-LayerNorm
 * ("pre_layrnorm", HF's spelling), then ClipEncoderLayers with full attention. hidden_states[0] is the embedding
 * output after pre_layrnorm, hidden_states[i] the output of layer i; only the layers up to the requested hidden
 * state are computed (LLaVA's feature layer -2 never runs the last layer).
 *
 * post_layernorm is not on LLaVA's path; pooledOutput applies it to the class token, which is what CLIP's
 * image_embeds project (core/src/test/resources/golden/clip/README.md "Vision tower" step 4; ModalPrompt's image query, docs/methods/modalprompt.md
 * section 4.1). The same tower is loaded under "vision_tower.vision_model." in a LLaVA checkpoint and under
 * "vision_model." in a CLIP checkpoint.
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

/**
 * The CLIP ViT image encoder (Hugging Face CLIPVisionTransformer): pixels {@code [B, C, S, S]} give the hidden states
 * {@code [B, 1+P, D]} (class token and P patches) up to a requested layer, and {@code pooledOutput} the post-LayerNorm
 * class token {@code [B, D]}.
 * <p>Thread-safe for inference: every field is final and its methods only read the weights and allocate per call, so
 * several threads may share it with a thread-safe backend while nothing modifies its {@code Linear} layers.
 */
public final class ClipVisionTower {
    private final ClipVisionConfig cfg;
    private final Linear patchEmbedding;          // [D, C*p*p], no bias
    private final Tensor classEmbedding;          // [D]
    private final Tensor positionEmbedding;       // [1+P, D]
    private final LayerNorm preLayerNorm, postLayerNorm;
    private final List<ClipEncoderLayer> layers;

    private ClipVisionTower(ClipVisionConfig cfg, Linear patchEmbedding, Tensor classEmbedding, Tensor positionEmbedding,
                            LayerNorm preLayerNorm, List<ClipEncoderLayer> layers, LayerNorm postLayerNorm) {
        this.cfg = cfg;
        this.patchEmbedding = patchEmbedding;
        this.classEmbedding = classEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.preLayerNorm = preLayerNorm;
        this.layers = layers;
        this.postLayerNorm = postLayerNorm;
    }

    /**
     * Loads every tower tensor, post_layernorm included.
     * @param prefix the tower's name prefix: "vision_tower.vision_model." (LLaVA) or "vision_model." (CLIP)
     */
    public static ClipVisionTower load(ClipVisionConfig c, WeightLoader w, String prefix) throws IOException {
        int d = c.hiddenSize(), ps = c.patchSize();
        float eps = c.layerNormEps();
        Tensor patch = w.get(prefix + "embeddings.patch_embedding.weight", d, c.numChannels(), ps, ps);
        Tensor cls = w.get(prefix + "embeddings.class_embedding", d);
        Tensor pos = w.get(prefix + "embeddings.position_embedding.weight", c.numPatches() + 1, d);
        LayerNorm pre = ClipEncoderLayer.layerNorm(w, prefix + "pre_layrnorm", d, eps);
        List<ClipEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            layers.add(ClipEncoderLayer.load(w, prefix + "encoder.layers." + i + ".", d, c.intermediateSize(),
                    c.numHeads(), eps, c.hiddenAct()));
        }
        LayerNorm post = ClipEncoderLayer.layerNorm(w, prefix + "post_layernorm", d, eps);
        Linear patchLinear = new Linear(prefix + "embeddings.patch_embedding", patch.reshape(d, c.numChannels() * ps * ps), null);
        return new ClipVisionTower(c, patchLinear, cls, pos, pre, layers, post);
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
        Tensor embeds;                                                                     // [B, P, D]
        PatchEmbedding conv = patchEmbedding.adapter() == null ? PatchEmbedding.OP.on(be) : null;
        if (conv != null) {                      // the backend's convolution (cuDNN on the CUDA backend)
            embeds = conv.embed(pixels, patchEmbedding.weight().reshape(cfg.hiddenSize(), ch, ps, ps), ps);
        } else {
            // [B, C, g, p, g, p] -> [B, g, g, C, p, p] -> [B, P, C*p*p]: patches row-major, each flattened like the conv kernel
            Tensor patches = be.contiguous(pixels.reshape(b, ch, g, ps, g, ps).permute(0, 2, 4, 1, 3, 5))
                    .reshape(b, g * g, ch * ps * ps);
            embeds = patchEmbedding.forward(be, patches);
        }
        Tensor cls = classEmbedding.reshape(1, 1, cfg.hiddenSize()).expand(b, 1, cfg.hiddenSize());
        Tensor x = be.add(be.concat(List.of(cls, embeds), 1), positionEmbedding);           // [B, 1+P, D]
        x = preLayerNorm.forward(be, x);
        List<Tensor> states = new ArrayList<>();
        states.add(x);
        for (int i = 0; i < upTo; i++) {
            x = layers.get(i).forward(be, x, AttentionMask.none());
            states.add(x);
        }
        return states;
    }

    /** HF pooler_output: post_layernorm of the class token of the last hidden state [B, 1+P, D] -> [B, D]. */
    public Tensor pooledOutput(Backend be, Tensor lastHiddenState) {
        return postLayerNorm.forward(be, lastHiddenState.select(1, 0));
    }
}
