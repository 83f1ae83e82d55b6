/*
 * Prompt tuning with one prompt (Lester, Al-Rfou, Constant 2021, "The Power of Scale for Parameter-Efficient Prompt
 * Tuning"): P trainable embeddings [P, D] inserted into every sample (llava.PromptInsertion), the backbone frozen.
 * The single-prompt member of the prompt family this package implements (ModalPrompt, L2P, DualPrompt and S-Prompts
 * select among pools of such prompts: PromptPool). `perennial train --mode prompt` trains one and saves it as
 * prompt.safetensors: one F32 tensor "prompt_embeddings" [P, D], metadata {"placement": "after_bos" | "prefix"}.
 */
package dev.perennial.prompt;

import dev.perennial.io.SafetensorsFile;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Prompt tuning with one prompt: float32 embeddings {@code [P, D]} inserted into every sample (after BOS or as a
 * prefix), the backbone frozen. {@code initial} draws them from a Gaussian of standard deviation 0.02 with a seed;
 * {@code save} and {@code load} use {@code prompt.safetensors}.
 * <p>Not thread-safe while it trains: its field is final, but its embeddings are a live tensor that training updates in
 * place; confine it to one thread then.
 */
public final class SoftPrompt {
    public static final String FILE = "prompt.safetensors", TENSOR = "prompt_embeddings", PLACEMENT = "placement";
    /** The standard deviation of the initial embeddings (a small Gaussian, as the reference prompt-tuning code). */
    public static final double INIT_STD = 0.02;

    private final PromptInsertion insertion;

    private SoftPrompt(PromptInsertion insertion) { this.insertion = insertion; }

    /** A fresh prompt of {@code length} tokens for a model of hidden size {@code hidden}: N(0, 0.02²), seeded. */
    public static SoftPrompt initial(int length, int hidden, long seed, PromptInsertion.Placement placement) {
        if (length < 1 || hidden < 1) throw new IllegalArgumentException("a prompt needs length and hidden size >= 1");
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[length * hidden];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * INIT_STD);
        return new SoftPrompt(new PromptInsertion(Tensor.of(v, length, hidden), placement));
    }

    /** The embeddings and where they go, for forward passes and the Trainer. */
    public PromptInsertion insertion() { return insertion; }

    /** The trainable tensor by its saved name (train it in place). */
    public Map<String, Tensor> parameters() { return Map.of(TENSOR, insertion.embeddings()); }

    /** Writes {@code dir}/prompt.safetensors (atomically). */
    public void save(Path dir) throws IOException {
        SafetensorsWriter.write(dir.resolve(FILE), parameters(), Map.of(PLACEMENT, insertion.placement().name().toLowerCase(Locale.ROOT)));
    }

    /** Reads a saved prompt; a file without the tensor, of another shape or with an unknown placement is refused. */
    public static SoftPrompt load(Path file, int hidden) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.contains(TENSOR)) throw new IOException(file + ": no tensor \"" + TENSOR + "\" (not a prompt written by train --mode prompt)");
            Tensor t = f.tensor(TENSOR);
            if (t.rank() != 2 || t.size(1) != hidden) {
                throw new IOException(file + ": prompt embeddings " + java.util.Arrays.toString(t.shape()) + " do not fit a model of hidden size " + hidden);
            }
            try {
                LlavaModel.requireFinite(t, file + ": prompt embeddings", "row");
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
            String where = f.metadata().getOrDefault(PLACEMENT, "after_bos");
            PromptInsertion.Placement placement;
            try {
                placement = PromptInsertion.Placement.valueOf(where.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": unknown placement \"" + where + "\" (after_bos or prefix)");
            }
            return new SoftPrompt(new PromptInsertion(t.to(DType.F32), placement));
        }
    }
}
