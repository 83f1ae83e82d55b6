/*
 * One layer of a CLIP transformer (HF CLIPEncoderLayer), the same in the vision tower (full attention) and the
 * text tower (causal + key-padding attention; core/src/test/resources/golden/clip/README.md "Text tower" step 2):
 *   h = x + out_proj(attention(layer_norm1(x)))
 *   y = h + fc2(act(fc1(layer_norm2(h))))        act = quick_gelu (x·sigmoid(1.702x)) or gelu
 * q, k, v and out_proj are Linear with bias; heads are contiguous slices of the hidden dimension. HF multiplies q
 * by head_dim^-0.5 before QKᵀ; Backend.attention scales the scores instead, which differs by float rounding only.
 */
package dev.perennial.llava;

import dev.perennial.nn.LayerNorm;
import dev.perennial.nn.Linear;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.io.IOException;

/**
 * One pre-norm CLIP transformer layer (Hugging Face CLIPEncoderLayer), shared by the vision and text towers:
 * self-attention and a quick_gelu or gelu MLP, each with a residual connection; {@code forward} maps x
 * {@code [B, T, D]} to {@code [B, T, D]} under the given attention mask.
 * <p>Thread-safe for inference: its fields are final and {@code forward} only reads the weights, so several threads may
 * call it with a thread-safe backend while nothing modifies its {@code Linear} layers (LoRA attach, merge or training).
 */
public final class ClipEncoderLayer {
    private final LayerNorm norm1, norm2;
    private final Linear q, k, v, out, fc1, fc2;
    private final int numHeads;
    private final ClipVisionConfig.Activation act;

    private ClipEncoderLayer(LayerNorm norm1, Linear q, Linear k, Linear v, Linear out, LayerNorm norm2, Linear fc1,
                             Linear fc2, int numHeads, ClipVisionConfig.Activation act) {
        this.norm1 = norm1;
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.norm2 = norm2;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.numHeads = numHeads;
        this.act = act;
    }

    /**
     * Loads the layer whose tensors start with {@code prefix} (e.g. "text_model.encoder.layers.3.").
     * @param hidden       D, the hidden size (a multiple of numHeads)
     * @param intermediate the MLP width
     */
    public static ClipEncoderLayer load(WeightLoader w, String prefix, int hidden, int intermediate, int numHeads,
                                        float eps, ClipVisionConfig.Activation act) throws IOException {
        return new ClipEncoderLayer(layerNorm(w, prefix + "layer_norm1", hidden, eps),
                w.linear(prefix + "self_attn.q_proj", hidden, hidden, true),
                w.linear(prefix + "self_attn.k_proj", hidden, hidden, true),
                w.linear(prefix + "self_attn.v_proj", hidden, hidden, true),
                w.linear(prefix + "self_attn.out_proj", hidden, hidden, true),
                layerNorm(w, prefix + "layer_norm2", hidden, eps),
                w.linear(prefix + "mlp.fc1", intermediate, hidden, true),
                w.linear(prefix + "mlp.fc2", hidden, intermediate, true), numHeads, act);
    }

    /** The LayerNorm called {@code name} (weight and bias [D]). */
    public static LayerNorm layerNorm(WeightLoader w, String name, int hidden, float eps) throws IOException {
        return new LayerNorm(w.get(name + ".weight", hidden), w.get(name + ".bias", hidden), eps);
    }

    /** x [B, T, D] -> [B, T, D]; {@code mask} says which keys each query sees. */
    public Tensor forward(Backend be, Tensor x, AttentionMask mask) {
        int b = x.size(0), t = x.size(1), d = x.size(2), hd = d / numHeads;
        Tensor y = norm1.forward(be, x);
        Tensor qh = heads(be, q.forward(be, y), b, t, hd);                                 // [B, H, T, hd]
        Tensor kh = heads(be, k.forward(be, y), b, t, hd);
        Tensor vh = heads(be, v.forward(be, y), b, t, hd);
        Tensor a = be.attention(qh, kh, vh, mask, (float) (1 / Math.sqrt(hd)));            // [B, H, T, hd]
        x = be.add(x, out.forward(be, be.contiguous(a.transpose(1, 2)).reshape(b, t, d)));
        Tensor hidden = fc1.forward(be, norm2.forward(be, x));                              // [B, T, I]
        hidden = act == ClipVisionConfig.Activation.QUICK_GELU ? be.quickGelu(hidden) : be.gelu(hidden);
        return be.add(x, fc2.forward(be, hidden));
    }

    /** [B, T, H*hd] -> contiguous [B, H, T, hd] */
    private Tensor heads(Backend be, Tensor x, int b, int t, int hd) {
        return be.contiguous(x.reshape(b, t, numHeads, hd).transpose(1, 2));
    }
}
