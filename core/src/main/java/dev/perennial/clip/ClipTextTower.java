/*
 * The CLIP text tower (HF CLIPTextTransformer / CLIPTextModel; core/src/test/resources/golden/clip/README.md "Text tower"), whose pooled
 * output is ModalPrompt's text query u(x) (docs/methods/modalprompt.md section 4.2: the unprojected pooler_output).
 *
 *   h = token_embedding[input_ids] + position_embedding[0..T-1]      positions always start at 0 (right padding)
 *   h = ClipEncoderLayer(h) for each layer, causal attention that also skips padded keys (attention_mask == 0)
 *   last_hidden_state = final_layer_norm(h)
 *   pooler_output[b]  = last_hidden_state[b, pooledPositions[b]]
 *
 * Pooled position (HF's rule, kept for compatibility since transformers PR #24773): for configs with the legacy
 * eos_token_id 2 (the openai/clip-vit-* checkpoints) the first position of the highest id in the row, which is the
 * end-of-text token because <|endoftext|> has the highest id of the vocabulary; otherwise the first position equal
 * to eos_token_id. A row without that id is refused (HF would silently pool position 0).
 *
 * Sequences are at most max_position_embeddings (77) long; the tokenizer truncates (ClipTokenizer keeps the
 * end-of-text id), the tower refuses longer input rather than dropping the pooled token. A padded query row still
 * attends to the earlier real tokens, so every position of last_hidden_state is finite. Each row's first key must
 * be real (right padding, as the CLIP tokenizer pads): a query that sees no key would get zero output here but a
 * uniform average in HF.
 */
package dev.perennial.clip;

import dev.perennial.llava.ClipEncoderLayer;
import dev.perennial.llava.WeightLoader;
import dev.perennial.nn.LayerNorm;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLIP text encoder (Hugging Face CLIPTextTransformer): token ids {@code [B, T]} (T at most the context length, 77)
 * and an optional 0/1 attention mask {@code [B, T]} give every layer's hidden states {@code [B, T, D]}, the
 * final-LayerNorm output {@code [B, T, D]} and the pooled output {@code [B, D]} (ModalPrompt's text query).
 * <p>Thread-safe for inference: every field is final and {@code forward} only reads the weights and allocates per call,
 * so several threads may share an instance with a thread-safe backend while nothing modifies its layers (no LoRA
 * attach, merge or training meanwhile).
 */
public final class ClipTextTower {
    private final ClipTextConfig cfg;
    private final Tensor tokenEmbedding;       // [V, D]
    private final Tensor positionEmbedding;    // [77, D]
    private final List<ClipEncoderLayer> layers;
    private final LayerNorm finalLayerNorm;

    /**
     * hiddenStates: [0] = embeddings, [i] = output of layer i (each [B, T, D], no final LayerNorm, as HF's
     * hidden_states); lastHiddenState [B, T, D]; pooledOutput [B, D]; pooledPositions [B].
     */
    public record Output(List<Tensor> hiddenStates, Tensor lastHiddenState, Tensor pooledOutput, int[] pooledPositions) {}

    private ClipTextTower(ClipTextConfig cfg, Tensor tokenEmbedding, Tensor positionEmbedding, List<ClipEncoderLayer> layers,
                          LayerNorm finalLayerNorm) {
        this.cfg = cfg;
        this.tokenEmbedding = tokenEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.layers = layers;
        this.finalLayerNorm = finalLayerNorm;
    }

    /** Loads the tower whose tensors start with {@code prefix} ("text_model." in every CLIP checkpoint). */
    public static ClipTextTower load(ClipTextConfig c, WeightLoader w, String prefix) throws IOException {
        int d = c.hiddenSize();
        Tensor tokens = w.get(prefix + "embeddings.token_embedding.weight", c.vocabSize(), d);
        Tensor positions = w.get(prefix + "embeddings.position_embedding.weight", c.maxPositionEmbeddings(), d);
        List<ClipEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            layers.add(ClipEncoderLayer.load(w, prefix + "encoder.layers." + i + ".", d, c.intermediateSize(),
                    c.numHeads(), c.layerNormEps(), c.hiddenAct()));
        }
        LayerNorm last = ClipEncoderLayer.layerNorm(w, prefix + "final_layer_norm", d, c.layerNormEps());
        return new ClipTextTower(c, tokens, positions, layers, last);
    }

    public ClipTextConfig config() { return cfg; }

    /**
     * @param inputIds      integer ids [B, T], 1 &lt;= T &lt;= max_position_embeddings, each in [0, vocab_size)
     * @param attentionMask integer [B, T] of 0 (padding) and 1, first column 1; null = no padding
     */
    public Output forward(Backend be, Tensor inputIds, Tensor attentionMask) {
        long[][] ids = rows(inputIds, "input ids");
        int b = ids.length, t = ids[0].length, d = cfg.hiddenSize();
        if (t > cfg.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("input ids have " + t + " positions, more than the tower's "
                    + cfg.maxPositionEmbeddings() + " (max_position_embeddings); truncate when tokenizing");
        }
        checkVocabulary(ids);
        int[] pooled = pooledPositions(cfg, ids);
        AttentionMask mask = AttentionMask.causal(0, keyValid(attentionMask, b, t));

        Tensor h = be.add(be.embedding(tokenEmbedding, inputIds), positionEmbedding.narrow(0, 0, t));   // [B, T, D]
        List<Tensor> states = new ArrayList<>(layers.size() + 1);
        states.add(h);
        for (ClipEncoderLayer layer : layers) {
            h = layer.forward(be, h, mask);
            states.add(h);
        }
        Tensor last = finalLayerNorm.forward(be, h);                                                    // [B, T, D]
        long[] flat = new long[b];                                      // row b's pooled token in [B*T, D]
        for (int i = 0; i < b; i++) flat[i] = (long) i * t + pooled[i];
        Tensor pooledOutput = be.embedding(be.contiguous(last).reshape(b * t, d), Tensor.ofLongs(flat, b));  // [B, D]
        return new Output(List.copyOf(states), last, pooledOutput, pooled);
    }

    /** The position pooled in each row of ids [B][T] under {@code cfg}'s rule (see the class comment). */
    public static int[] pooledPositions(ClipTextConfig cfg, long[][] ids) {
        int[] at = new int[ids.length];
        for (int b = 0; b < ids.length; b++) {
            long[] row = ids[b];
            int p = -1;
            if (cfg.poolsAtArgmax()) {
                p = 0;
                for (int i = 1; i < row.length; i++) if (row[i] > row[p]) p = i;     // ties: the first
            } else {
                for (int i = 0; i < row.length && p < 0; i++) if (row[i] == cfg.eosTokenId()) p = i;
                if (p < 0) {
                    throw new IllegalArgumentException("input ids row " + b + " holds no end-of-text id "
                            + cfg.eosTokenId() + " (eos_token_id) to pool at");
                }
            }
            at[b] = p;
        }
        return at;
    }

    private void checkVocabulary(long[][] ids) {
        for (int b = 0; b < ids.length; b++) {
            for (int i = 0; i < ids[b].length; i++) {
                if (ids[b][i] < 0 || ids[b][i] >= cfg.vocabSize()) {
                    throw new IllegalArgumentException("input id " + ids[b][i] + " at [" + b + ", " + i
                            + "] is outside the vocabulary [0, " + cfg.vocabSize() + ")");
                }
            }
        }
    }

    /** Key validity from the attention mask, or null without one. */
    private static boolean[][] keyValid(Tensor attentionMask, int b, int t) {
        if (attentionMask == null) return null;
        long[][] m = rows(attentionMask, "attention mask");
        if (m.length != b || m[0].length != t) {
            throw new IllegalArgumentException("attention mask is [" + m.length + ", " + m[0].length
                    + "] but input ids are [" + b + ", " + t + "]");
        }
        boolean[][] valid = new boolean[b][t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                if (m[r][i] != 0 && m[r][i] != 1) {
                    throw new IllegalArgumentException("attention mask value " + m[r][i] + " at [" + r + ", " + i + "] is not 0 or 1");
                }
                valid[r][i] = m[r][i] == 1;
            }
            if (!valid[r][0]) {
                throw new IllegalArgumentException("attention mask row " + r + " starts with padding; CLIP text is padded on the right");
            }
        }
        return valid;
    }

    /** An integer [B, T] tensor (B, T >= 1) as rows. */
    private static long[][] rows(Tensor x, String what) {
        if (x.dtype().isFloating() || x.rank() != 2 || x.size(0) < 1 || x.size(1) < 1) {
            throw new IllegalArgumentException(what + " must be a non-empty integer [B, T] tensor, got " + x);
        }
        long[][] rows = new long[x.size(0)][];
        for (int i = 0; i < rows.length; i++) rows[i] = x.select(0, i).toLongArray();
        return rows;
    }
}
