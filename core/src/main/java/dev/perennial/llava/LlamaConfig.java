/*
 * The LLaMA decoder's hyper-parameters (Hugging Face LlamaConfig field names in comments).
 * Defaults for omitted keys are LlamaConfig's (docs/methods/llava-numerics.md "The tiny model").
 */
package dev.perennial.llava;

/**
 * The LLaMA decoder's hyper-parameters as read from a Hugging Face config: hidden size D, MLP width, layers, attention
 * and key/value heads (grouped-query), vocabulary size V, RMSNorm epsilon, RoPE theta, context length in positions,
 * tied embeddings and the BOS and EOS token ids.
 * <p>Immutable; safe to share between threads (a record of numbers and booleans).
 */
public record LlamaConfig(
        int hiddenSize,             // hidden_size
        int intermediateSize,       // intermediate_size
        int numLayers,              // num_hidden_layers
        int numHeads,               // num_attention_heads
        int numKvHeads,             // num_key_value_heads (default num_attention_heads)
        int vocabSize,              // vocab_size
        float rmsNormEps,           // rms_norm_eps (default 1e-6)
        float ropeTheta,            // rope_theta (default 10000)
        int maxPositions,           // max_position_embeddings (default 2048)
        boolean tieWordEmbeddings,  // tie_word_embeddings (default false)
        int bosTokenId,             // bos_token_id (default 1)
        int eosTokenId) {           // eos_token_id (default 2)

    public LlamaConfig {
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if ((hiddenSize / numHeads) % 2 != 0) throw new IllegalArgumentException("head dim must be even for RoPE");
    }

    public int headDim() { return hiddenSize / numHeads; }

    /** Query heads per key/value head (GQA group size). */
    public int groupSize() { return numHeads / numKvHeads; }
}
