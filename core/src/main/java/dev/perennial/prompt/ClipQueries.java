/*
 * ModalPrompt's per-sample queries (docs/methods/modalprompt.md §4), stacked as the pool expects them: [2, B, d], row 0 the
 * image query v(x) = CLIP image_embeds (visual_projection(post_layernorm(CLS))), row 1 the text query
 * u(x) = CLIPTextModel pooler_output of the instruction (unprojected, §4.2) — or, as a deliberate variant, the
 * projected text_embeds. Both come from one CLIP checkpoint (openai/clip-vit-large-patch14-336 in the paper, whose
 * image projection and text width are both 768); the two must have the same width, since one key is compared with
 * both.
 *
 * The instruction is the first human turn with the image placeholder line removed, kept verbatim otherwise (§4.2's
 * port rule), CLIP-tokenised with truncation to 77 and padding to the longest in the batch. A sample without an
 * image gets a zero image query: its cosine with every key is 0, so its selection follows the text alone (the
 * official code inserts no prompt for such samples at evaluation, B8; one rule for training and evaluation is
 * what this port does instead). CLIP is frozen: queries are computed without gradients.
 */
package dev.perennial.prompt;

import dev.perennial.clip.ClipModel;
import dev.perennial.data.LlavaSample;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.ImageTokens;

import java.util.ArrayList;
import java.util.List;

/**
 * ModalPrompt's per-sample queries from one CLIP model: {@code encode} returns float32 {@code [2, B, d]}, row 0 the
 * image embeddings of pixels {@code [3, S, S]} (zero for a sample without an image), row 1 the text query of the
 * instruction (pooled output or projected embeddings); {@code instruction} is the first human turn without its image
 * placeholder.
 * <p>Thread-safe if its backend is: every field is final, the CLIP model and tokenizer are safe to share for inference,
 * and {@code encode} allocates per call.
 */
public final class ClipQueries {
    /** Which text feature is the text query. */
    public enum TextQuery {
        /** pooler_output, the final-layer-normed EOT state (the official code). */
        POOLED,
        /** text_embeds = text_projection(pooler_output), CLIP's joint space (a variant). */
        PROJECTED
    }

    private final ClipModel clip;
    private final ClipTokenizer tokenizer;
    private final TextQuery textQuery;
    private final int dim;

    public ClipQueries(ClipModel clip, ClipTokenizer tokenizer, TextQuery textQuery) {
        this.clip = clip;
        this.tokenizer = tokenizer;
        this.textQuery = textQuery;
        int image = clip.config().projectionDim();
        int text = textQuery == TextQuery.POOLED ? clip.textTower().config().hiddenSize() : clip.config().projectionDim();
        if (image != text) {
            throw new IllegalArgumentException("ModalPrompt compares one key with both queries, but this CLIP model's image embedding has width "
                    + image + " and its text " + (textQuery == TextQuery.POOLED ? "pooled output" : "embedding") + " " + text
                    + (textQuery == TextQuery.POOLED ? " (the projected text embedding would fit: use the PROJECTED text query)" : ""));
        }
        this.dim = image;
    }

    /** d, the width of both queries. */
    public int dim() { return dim; }

    /** The image side's input size (pixels must be [3, S, S] at this S). */
    public int imageSize() { return clip.visionTower().config().imageSize(); }

    /**
     * The images under {@code images} as this CLIP model takes them: the preprocessor_config.json of {@code clipDir} if
     * it has one (else CLIP ViT-L/14-336's), at the tower's input size, padded to square.
     */
    public dev.perennial.data.ImageStore imageStore(java.nio.file.Path clipDir, java.nio.file.Path images) throws java.io.IOException {
        dev.perennial.image.PreprocessorConfig cfg = dev.perennial.image.PreprocessorConfig.CLIP_VIT_L_336;
        java.nio.file.Path file = clipDir.resolve("preprocessor_config.json");
        if (java.nio.file.Files.isRegularFile(file)) cfg = dev.perennial.image.PreprocessorConfig.load(file);
        int size = imageSize();
        return new dev.perennial.data.ImageStore(images, new dev.perennial.image.ClipImageProcessor(
                cfg.cropHeight() == size && cfg.cropWidth() == size ? cfg : cfg.withSize(size)), true);
    }

    /** The instruction of a sample: the first human turn without its image placeholder line (§4.2). */
    public static String instruction(LlavaSample sample) {
        for (ConversationTurn t : sample.conversations()) {
            if (!t.isHuman()) continue;
            String v = t.value();
            String p = ImageTokens.PLACEHOLDER;
            if (v.startsWith(p + "\n")) v = v.substring(p.length() + 1);
            else if (v.endsWith("\n" + p)) v = v.substring(0, v.length() - p.length() - 1);
            else v = v.replace(p, "");
            return v.strip();
        }
        return "";
    }

    /**
     * Queries [2, B, d] (float32) for B samples.
     * @param pixels       per sample the CLIP-preprocessed image [3, S, S] (S = imageSize()), or null for none
     * @param instructions per sample the instruction text
     */
    public Tensor encode(Backend be, List<Tensor> pixels, List<String> instructions) {
        int b = instructions.size();
        if (pixels.size() != b) throw new IllegalArgumentException(pixels.size() + " images for " + b + " instructions");
        float[] out = new float[2 * b * dim];
        if (b == 0) return Tensor.zeros(2, 0, dim);
        try (TensorScope ignored = TensorScope.open()) {
            List<Tensor> images = new ArrayList<>();
            List<Integer> withImage = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                Tensor p = pixels.get(i);
                if (p == null) continue;
                if (p.rank() != 3 || p.size(1) != imageSize() || p.size(2) != imageSize()) {
                    throw new IllegalArgumentException("sample " + i + ": CLIP pixels must be [3, " + imageSize() + ", " + imageSize() + "], got " + p);
                }
                images.add(p.unsqueeze(0));
                withImage.add(i);
            }
            if (!images.isEmpty()) {
                Tensor embeds = clip.encodeImage(be, be.concat(images, 0)).imageEmbeds();          // [n, d]
                if (embeds == null) throw new IllegalArgumentException("the CLIP checkpoint has no visual_projection (image_embeds)");
                float[] e = embeds.to(DType.F32).contiguous().toFloatArray();
                for (int j = 0; j < withImage.size(); j++) System.arraycopy(e, j * dim, out, withImage.get(j) * dim, dim);
            }
            ClipTokenizer.Batch batch = tokenizer.encodeBatch(instructions);
            ClipModel.TextEmbeddings t = clip.encodeText(be, batch.inputIds(), batch.attentionMask());
            Tensor text = textQuery == TextQuery.POOLED ? t.pooledOutput() : t.textEmbeds();   // [B, d]
            if (text == null) throw new IllegalArgumentException("the CLIP checkpoint has no text_projection (text_embeds)");
            System.arraycopy(text.to(DType.F32).contiguous().toFloatArray(), 0, out, b * dim, b * dim);
        }
        return Tensor.of(out, 2, b, dim);
    }
}
