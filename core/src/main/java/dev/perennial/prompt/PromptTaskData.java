/*
 * A task's samples ready for a prompt pool: the LLaVA training examples (ids, labels, LLaVA pixels) and, aligned
 * with them, the frozen CLIP queries [M, N, d] (docs/methods/modalprompt.md §4). The CLIP image is preprocessed by the CLIP
 * model's own image store (the official code feeds the same 336 px tensor to both; with a CLIP model of another
 * input size the image is preprocessed again at that size). Samples whose image cannot be loaded are skipped and
 * counted by the encoder, exactly as in `perennial train`; the queries are computed in batches of 16.
 */
package dev.perennial.prompt;

import dev.perennial.data.ImageLoad;
import dev.perennial.data.ImagePathException;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A prompt task's training data: the kept samples, their encoded training examples and their CLIP queries {@code [M,
 * N, d]}.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param samples  the kept samples, aligned with examples
 * @param examples the training examples
 * @param queries  [M, N, d], the pool's query modalities in its order
 */
public record PromptTaskData(List<LlavaSample> samples, List<TrainingExample> examples, Tensor queries) {
    static final int QUERY_BATCH = 16;

    public PromptTaskData {
        samples = List.copyOf(samples);
        examples = List.copyOf(examples);
        if (samples.size() != examples.size() || queries.size(1) != examples.size()) {
            throw new IllegalArgumentException(samples.size() + " samples, " + examples.size() + " examples, " + queries.size(1) + " queries");
        }
    }

    public int size() { return examples.size(); }

    /** Per sample its LLaVA pixels [3, S, S], or null for a text-only sample (what PromptInference.answer takes). */
    public List<Tensor> pixels() {
        List<Tensor> out = new ArrayList<>(examples.size());
        for (TrainingExample e : examples) out.add(e.pixels());
        return out;
    }

    /**
     * Encodes {@code samples}: training examples through {@code encoder}, CLIP queries through {@code clip} with
     * images from {@code clipImages} (null when no sample has an image), keeping the pool's query modalities
     * {@code modalities} (names from ClipQueries: "image", "text") in their order.
     */
    public static PromptTaskData encode(Iterable<LlavaSample> samples, SampleEncoder encoder, ClipQueries clip, ImageStore clipImages,
                                        PromptQueries modalities, Backend be) throws ImagePathException {
        List<LlavaSample> kept = new ArrayList<>();
        List<TrainingExample> examples = new ArrayList<>();
        List<Tensor> pixels = new ArrayList<>();
        for (LlavaSample s : samples) {
            Optional<TrainingExample> e = encoder.encode(s);
            if (e.isEmpty()) continue;
            Tensor clipPixels = null;
            if (s.hasImage() && e.get().pixels() != null) {
                ImageLoad load = clipImages.load(s.images().get(0));
                if (load instanceof ImageLoad.Failed f) throw new IllegalStateException(s.describe() + ": " + f.error().getMessage());
                clipPixels = ((ImageLoad.Loaded) load).pixels();
            }
            kept.add(s);
            examples.add(e.get());
            pixels.add(clipPixels);
        }
        return new PromptTaskData(kept, examples, queries(kept, pixels, clip, modalities, be));
    }

    /** The queries [M, N, d] of samples with their CLIP pixels (null: no image), the pool's modalities picked by name. */
    public static Tensor queries(List<LlavaSample> samples, List<Tensor> clipPixels, ClipQueries clip, PromptQueries modalities, Backend be) {
        List<String> names = modalities.names();
        int n = samples.size(), d = clip.dim(), m = names.size();
        int[] rows = new int[m];
        for (int i = 0; i < m; i++) {
            rows[i] = switch (names.get(i)) {
                case "image" -> 0;
                case "text" -> 1;
                default -> throw new IllegalArgumentException("CLIP queries are \"image\" and \"text\", not " + names.get(i));
            };
        }
        float[] out = new float[m * n * d];
        for (int start = 0; start < n; start += QUERY_BATCH) {
            int end = Math.min(n, start + QUERY_BATCH);
            List<String> text = new ArrayList<>();
            for (int i = start; i < end; i++) text.add(ClipQueries.instruction(samples.get(i)));
            float[] q = clip.encode(be, clipPixels.subList(start, end), text).toFloatArray();     // [2, b, d]
            int b = end - start;
            for (int j = 0; j < m; j++) {
                for (int i = 0; i < b; i++) System.arraycopy(q, (rows[j] * b + i) * d, out, (j * n + start + i) * d, d);
            }
        }
        return Tensor.of(out, m, n, d);
    }
}
