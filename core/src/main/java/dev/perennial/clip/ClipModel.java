/*
 * A CLIP checkpoint with Hugging Face names (CLIPModel, CLIPTextModel[WithProjection] or
 * CLIPVisionModel[WithProjection]): the towers its config names, their projections, and logit_scale, all read
 * from one safetensors checkpoint (core/src/test/resources/golden/clip/README.md "Model"). This is where ModalPrompt's two queries come
 * from (docs/methods/modalprompt.md section 4): the text query is TextEmbeddings.pooledOutput (CLIPTextModel.pooler_output,
 * not projected), the image query ImageEmbeddings.imageEmbeds (CLIPVisionModelWithProjection.image_embeds:
 * visual_projection(post_layernorm(CLS)), not normalised).
 *
 * A CLIPModel checkpoint must hold both projections and logit_scale; a single-tower checkpoint has its projection
 * when it was saved with one (…WithProjection), and its embeds are null otherwise. Every tensor is checked at load:
 * missing, unexpected and mis-shaped ones are listed in one CheckpointMismatchException (position_ids buffers of
 * old exports are ignored). Weights stay memory-mapped in their stored precision.
 */
package dev.perennial.clip;

import dev.perennial.io.TensorSource;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.ClipVisionTower;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.WeightLoader;
import dev.perennial.nn.Linear;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face CLIP checkpoint (text tower, vision tower or both, projections, {@code logit_scale}), weights
 * memory-mapped; it computes ModalPrompt's queries. {@code encodeText}: ids {@code [B, T]} to hidden states
 * {@code [B, T, D]}, pooled {@code [B, D]}, embeds {@code [B, P]}; {@code encodeImage}: pixels {@code [B, C, S, S]} to
 * {@code [B, 1+N, Dv]}, {@code [B, Dv]}, {@code [B, P]}; {@code logitsPerText}: {@code [Bt, Bi]}.
 * <p>Thread-safe for inference: every field is final and the encode methods only read the read-only weights and
 * allocate per call, so several threads may share an instance with a thread-safe backend (no concurrency test covers
 * it); {@code close()} must not run while they do.
 */
public final class ClipModel implements AutoCloseable {
    private final ClipConfig config;
    private final ClipTextTower textTower;          // null: no text tower
    private final ClipVisionTower visionTower;      // null: no vision tower
    private final Linear textProjection;            // [P, D], no bias; null: none
    private final Linear visualProjection;          // [P, Dv], no bias; null: none
    private final Tensor logitScale;                // [] (CLIPModel only), else null
    private final TensorSource source;

    /**
     * lastHiddenState [B, T, D] (after final_layer_norm), pooledOutput [B, D] (ModalPrompt's text query),
     * textEmbeds [B, P] = text_projection(pooledOutput), null without a text projection.
     */
    public record TextEmbeddings(Tensor lastHiddenState, Tensor pooledOutput, Tensor textEmbeds) {}

    /**
     * lastHiddenState [B, 1+N, Dv] (no LayerNorm after the encoder), pooledOutput [B, Dv] = post_layernorm(CLS),
     * imageEmbeds [B, P] = visual_projection(pooledOutput) (ModalPrompt's image query), null without a projection.
     */
    public record ImageEmbeddings(Tensor lastHiddenState, Tensor pooledOutput, Tensor imageEmbeds) {}

    private ClipModel(ClipConfig config, ClipTextTower textTower, ClipVisionTower visionTower, Linear textProjection,
                      Linear visualProjection, Tensor logitScale, TensorSource source) {
        this.config = config;
        this.textTower = textTower;
        this.visionTower = visionTower;
        this.textProjection = textProjection;
        this.visualProjection = visualProjection;
        this.logitScale = logitScale;
        this.source = source;
    }

    /** Loads a checkpoint folder holding config.json and model.safetensors (or a shard index). */
    public static ClipModel load(Path dir) throws IOException {
        ClipConfig config = ClipConfig.load(dir);
        TensorSource source = TensorSource.open(dir);
        try {
            WeightLoader w = WeightLoader.forCheckpoint(source);
            boolean full = config.text() != null && config.vision() != null;
            int p = config.projectionDim();
            ClipTextTower text = null;
            Linear textProjection = null;
            if (config.text() != null) {
                text = ClipTextTower.load(config.text(), w, "text_model.");
                if (full || w.has("text_projection.weight")) {
                    textProjection = w.linear("text_projection", p, config.text().hiddenSize(), false);
                }
            }
            ClipVisionTower vision = null;
            Linear visualProjection = null;
            if (config.vision() != null) {
                vision = ClipVisionTower.load(config.vision(), w, "vision_model.");
                if (full || w.has("visual_projection.weight")) {
                    visualProjection = w.linear("visual_projection", p, config.vision().hiddenSize(), false);
                }
            }
            Tensor logitScale = full ? w.get("logit_scale") : null;
            w.finish(dir.toString());
            return new ClipModel(config, text, vision, textProjection, visualProjection, logitScale, source);
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    public ClipConfig config() { return config; }

    /** The text tower; IllegalStateException for a vision-only checkpoint. */
    public ClipTextTower textTower() {
        if (textTower == null) throw new IllegalStateException("this CLIP checkpoint has no text tower (model_type clip_vision_model)");
        return textTower;
    }

    /** The vision tower; IllegalStateException for a text-only checkpoint. */
    public ClipVisionTower visionTower() {
        if (visionTower == null) throw new IllegalStateException("this CLIP checkpoint has no vision tower (model_type clip_text_model)");
        return visionTower;
    }

    /** The text tower's outputs for ids [B, T] and an optional attention mask [B, T] (see ClipTextTower.forward). */
    public TextEmbeddings encodeText(Backend be, Tensor inputIds, Tensor attentionMask) {
        ClipTextTower.Output o = textTower().forward(be, inputIds, attentionMask);
        Tensor embeds = textProjection == null ? null : textProjection.forward(be, o.pooledOutput());
        return new TextEmbeddings(o.lastHiddenState(), o.pooledOutput(), embeds);
    }

    /** The vision tower's outputs for pixel values [B, C, S, S] (CLIP-normalised, NCHW). */
    public ImageEmbeddings encodeImage(Backend be, Tensor pixelValues) {
        ClipVisionTower tower = visionTower();
        ClipVisionConfig c = tower.config();
        if (!pixelValues.storage().isDeviceMemory()) LlavaModel.requireFinite(pixelValues);   // NaN would spread to every embedding
        List<Tensor> states = tower.hiddenStates(be, pixelValues, c.numLayers());
        Tensor last = states.get(c.numLayers());
        Tensor pooled = tower.pooledOutput(be, last);
        Tensor embeds = visualProjection == null ? null : visualProjection.forward(be, pooled);
        return new ImageEmbeddings(last, pooled, embeds);
    }

    /**
     * CLIPModel's logits_per_text [Bt, Bi] = exp(logit_scale) · cos(textEmbeds[i], imageEmbeds[j]) (both L2-normalised
     * first); logits_per_image is its transpose. IllegalStateException unless this is a full CLIPModel.
     */
    public Tensor logitsPerText(Backend be, Tensor textEmbeds, Tensor imageEmbeds) {
        if (logitScale == null) throw new IllegalStateException("logit_scale belongs to a full CLIPModel checkpoint (model_type clip)");
        Tensor t = unit(be, textEmbeds), i = unit(be, imageEmbeds);                          // [Bt, P], [Bi, P]
        return be.scale(be.matmul(t, i.transpose(0, 1)), (float) Math.exp(logitScale.item()));
    }

    /** x / ||x||₂ along the last dim. */
    private static Tensor unit(Backend be, Tensor x) {
        return be.div(x, be.sqrt(be.sum(be.mul(x, x), -1, true)));
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
