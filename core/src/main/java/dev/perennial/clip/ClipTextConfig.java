/*
 * The CLIP text tower's hyper-parameters (Hugging Face CLIPTextConfig names in comments), read from a CLIP
 * config.json's text_config or from a text-only config.json (core/src/test/resources/golden/clip/README.md "Model").
 *
 * Omitted keys take CLIPTextConfig's defaults, as transformers does (save_pretrained omits them): vocab 49408,
 * hidden 512, inter 2048, 12 layers, 8 heads, 77 positions, quick_gelu, eps 1e-5, eos 49407. The checkpoint
 * ModalPrompt uses, openai/clip-vit-large-patch14-336, spells its own values out (hidden 768, 12 layers, 12 heads,
 * inter 3072) and carries the legacy eos_token_id 2, which selects the argmax pooling rule (ClipTextTower).
 */
package dev.perennial.clip;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.JsonConfig;
import dev.perennial.llava.ModelConfigException;

/**
 * The CLIP text tower's hyper-parameters as read from a Hugging Face CLIP {@code config.json} (omitted keys take
 * CLIPTextConfig's defaults): vocabulary size, hidden size D, MLP width, layers, heads, context length in tokens (77),
 * LayerNorm epsilon, activation, and the end-of-text id that picks the pooled position.
 * <p>Immutable; safe to share between threads (a record of numbers and an enum).
 */
public record ClipTextConfig(
        int vocabSize,              // vocab_size
        int hiddenSize,             // hidden_size
        int intermediateSize,       // intermediate_size
        int numLayers,              // num_hidden_layers
        int numHeads,               // num_attention_heads
        int maxPositionEmbeddings,  // max_position_embeddings: the context length, 77
        float layerNormEps,         // layer_norm_eps
        ClipVisionConfig.Activation hiddenAct,   // hidden_act: the same activations as the vision tower
        int eosTokenId) {           // eos_token_id: picks the pooled position

    /** The eos_token_id of the original openai/clip-vit-* configs, which HF keeps pooling at argmax(input_ids) for. */
    public static final int LEGACY_EOS_TOKEN_ID = 2;

    public ClipTextConfig {
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
    }

    /** Reads a CLIPTextConfig object, applying CLIPTextConfig's defaults to omitted keys. */
    public static ClipTextConfig from(JsonConfig c) throws ModelConfigException {
        ClipVisionConfig.Activation act = ClipVisionConfig.activation(c);
        try {
            return new ClipTextConfig(c.positive("vocab_size", 49408), c.positive("hidden_size", 512),
                    c.positive("intermediate_size", 2048), c.positive("num_hidden_layers", 12),
                    c.positive("num_attention_heads", 8), c.positive("max_position_embeddings", 77),
                    (float) c.number("layer_norm_eps", 1e-5), act, c.integer("eos_token_id", 49407));
        } catch (IllegalArgumentException e) {
            throw c.error("hidden_size", e.getMessage());
        }
    }

    public int headDim() { return hiddenSize / numHeads; }

    /** True when the pooled token is the first position of the highest id (HF's rule for eos_token_id == 2). */
    public boolean poolsAtArgmax() { return eosTokenId == LEGACY_EOS_TOKEN_ID; }
}
