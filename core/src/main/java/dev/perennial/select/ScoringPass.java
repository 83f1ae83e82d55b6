/*
 * The model passes that ADAPT-∞ needs per sample (adapt-inf.md §2, §4, §5, Appendix A), as few as possible:
 *
 *   1. one forward pass with images, plus — when the vectors are LoRA gradients or a scorer needs GraNd — one
 *      backward pass into the LoRA tensors of the chosen layers only (PerSampleGradients: per-sample gradients
 *      of each sample's mean response-token loss from one backward of the batch; nothing below the lowest chosen
 *      layer is recorded, so that part of the model runs forward-only). Its logits give every token score
 *      (TokenScores: NLL, entropy, EL2N, computed from the logits without materialising probabilities), its
 *      gradient gives the sample vector and GraNd (SampleVectors), its hidden states the HIDDEN_MEAN vector;
 *   2. only when a requested scorer needs it (IG): one forward pass without images per NO_IMAGE_* requirement,
 *      for the samples that have an image, no backward.
 *
 * Samples of a batch are right-padded into one pass (their results do not depend on the padding); batch size 1
 * is the official code's setting. Each sample must have at least one response token (the pool scorer gives the
 * others NaN without running them). Runs in a TensorScope: only Java arrays leave it. LoRA dropout must be off
 * (LoraAdapter's default outside training): the official extractor runs in eval mode (§2.1).
 *
 * Layers: SampleVectors.Config.layers names decoder layers for the LoRA gradient (default L − 1); for
 * HIDDEN_MEAN its single entry ℓ is the hidden-state index, and GraNd (if requested) uses the adapters of decoder
 * layer ℓ, the official code's one layer_dims list for both.
 */
package dev.perennial.select;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.train.PerSampleGradients;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class ScoringPass {
    /**
     * @param vector   the sample vector (length vectorDim())
     * @param evidence what the scorers read
     */
    public record Result(float[] vector, SampleEvidence evidence) {}

    private final LlavaModel model;
    private final Backend be;
    private final SampleVectors.Config cfg;
    private final Set<Scorer.Requirement> needs;
    private final SampleVectors vectors;
    private final Map<String, LoraAdapter> adapters;     // null when no gradient is needed
    private final int hiddenIndex;                        // HIDDEN_MEAN only
    private final int ignore;

    /**
     * @param needs the union of the requested scorers' requirements
     */
    public ScoringPass(LlavaModel model, Backend be, SampleVectors.Config cfg, Set<Scorer.Requirement> needs,
                       RandomProjection projection) {
        this.model = model;
        this.be = be;
        this.cfg = cfg;
        this.needs = needs.isEmpty() ? EnumSet.noneOf(Scorer.Requirement.class) : EnumSet.copyOf(needs);
        this.vectors = new SampleVectors(projection);
        this.ignore = model.config().ignoreIndex();
        List<Integer> layers = cfg.layers().isEmpty() ? LoraLayers.lastLayer(model) : cfg.layers();
        int n = model.config().text().numLayers();
        if (cfg.source() == SampleVectors.Source.HIDDEN_MEAN) {
            hiddenIndex = layers.get(0);
            if (hiddenIndex < 0 || hiddenIndex > n) throw new IllegalArgumentException("hidden state " + hiddenIndex + " is not in [0, " + n + "]");
        } else {
            hiddenIndex = -1;
            for (int l : layers) if (l < 0 || l >= n) throw new IllegalArgumentException("layer " + l + " is not in [0, " + n + ")");
        }
        boolean gradient = cfg.source() == SampleVectors.Source.LORA_GRAD || this.needs.contains(Scorer.Requirement.GRADIENT);
        this.adapters = gradient ? LoraLayers.select(model, layers) : null;
    }

    /** Length of the sample vectors: k for LORA_GRAD, the hidden size for HIDDEN_MEAN. */
    public int vectorDim() {
        return cfg.source() == SampleVectors.Source.LORA_GRAD ? cfg.dim() : model.config().text().hiddenSize();
    }

    /** The LoRA tensors differentiated (gradient order), or an empty map when no gradient is computed. */
    public Map<String, LoraAdapter> adapters() {
        return adapters == null ? Map.of() : adapters;
    }

    /** Vectors and evidence for every example of the batch, in order. */
    public List<Result> run(List<TrainingExample> batch) {
        if (batch.isEmpty()) return List.of();
        List<long[]> ids = new ArrayList<>(), labels = new ArrayList<>();
        for (TrainingExample e : batch) {
            boolean supervised = false;
            for (long l : e.labels()) supervised |= l != ignore;
            if (!supervised) throw new IllegalArgumentException("sample " + e.sampleIndex() + " has no response token to score");
            ids.add(e.inputIds());
            labels.add(e.labels());
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor pixels = pixels(batch, false);
            LlavaModel.Output out;
            SampleVectors.Projected projected = null;
            if (adapters != null) {
                PerSampleGradients.WithOutput r = PerSampleGradients.computeWithOutput(model, be, ids, pixels, labels, adapters);
                out = r.output();
                projected = vectors.project(r.gradients(), cfg.source() == SampleVectors.Source.LORA_GRAD ? cfg.dim() : 0, cfg.seed());
            } else {
                out = model.forward(be, ids, pixels, labels);
            }
            Map<Scorer.Requirement, List<float[]>> noImage = new EnumMap<>(Scorer.Requirement.class);
            for (Scorer.Requirement pass : needs) {
                if (pass != Scorer.Requirement.GRADIENT) noImage.put(pass, noImagePass(batch, pass));
            }
            List<Result> results = new ArrayList<>(batch.size());
            int image = 0;
            for (int s = 0; s < batch.size(); s++) {
                int len = out.inputs().lengths()[s];
                long[] targets = targets(out.inputs().labels().select(0, s), len);
                TokenScores tokens = TokenScores.compute(out.logits().select(0, s).narrow(0, 0, len), Tensor.ofLongs(targets, len), ignore);
                boolean hasImage = batch.get(s).pixels() != null;
                Map<Scorer.Requirement, float[]> second = new EnumMap<>(Scorer.Requirement.class);
                if (hasImage) {
                    for (var e : noImage.entrySet()) second.put(e.getKey(), e.getValue().get(image));
                    image++;
                }
                double norm = projected == null ? Double.NaN : projected.gradientNorms()[s];
                float[] vector = cfg.source() == SampleVectors.Source.LORA_GRAD ? projected.vectors()[s]
                        : SampleVectors.hiddenMean(hiddenStates(out).select(0, s), len);
                results.add(new Result(vector, SampleEvidence.of(tokens, targets, ignore, norm, hasImage, second)));
            }
            return results;
        }
    }

    /** [B, T, D] hidden_states[hiddenIndex] in Hugging Face's numbering. */
    private Tensor hiddenStates(LlavaModel.Output out) {
        int n = model.config().text().numLayers();
        if (hiddenIndex == 0) return out.inputs().embeds();
        return hiddenIndex == n ? out.hidden().normed() : out.hidden().layerOutputs().get(hiddenIndex - 1);
    }

    /** Row j's target is the label at j + 1; the last real row has none. */
    private long[] targets(Tensor mergedLabels, int len) {
        long[] row = mergedLabels.narrow(0, 0, len).toLongArray(), t = new long[len];
        for (int j = 0; j < len; j++) t[j] = j + 1 < len ? row[j + 1] : ignore;
        return t;
    }

    /** The images of the batch's samples that have one, [N, 3, S, S], or null; zeroed for ZERO_PIXELS. */
    private Tensor pixels(List<TrainingExample> batch, boolean zero) {
        List<Tensor> images = new ArrayList<>();
        for (TrainingExample e : batch) {
            if (e.pixels() == null) continue;
            Tensor p = e.pixels().rank() == 3 ? e.pixels().unsqueeze(0) : e.pixels();
            images.add(zero ? Tensor.zeros(p.shape()) : p);
        }
        return images.isEmpty() ? null : be.concat(images, 0);
    }

    /** For each sample with an image, in batch order: the response-token NLLs of a forward pass without images. */
    private List<float[]> noImagePass(List<TrainingExample> batch, Scorer.Requirement pass) {
        List<TrainingExample> withImage = batch.stream().filter(e -> e.pixels() != null).toList();
        if (withImage.isEmpty()) return List.of();
        List<long[]> ids = new ArrayList<>(), labels = new ArrayList<>();
        for (TrainingExample e : withImage) {
            if (pass == Scorer.Requirement.NO_IMAGE_ZERO_PIXELS) {
                ids.add(e.inputIds());
                labels.add(e.labels());
                continue;
            }
            int kept = 0;
            for (long id : e.inputIds()) if (!model.isImageToken(id)) kept++;
            long[] i2 = new long[kept], l2 = new long[kept];
            for (int j = 0, k = 0; j < e.length(); j++) {
                if (model.isImageToken(e.inputIds()[j])) continue;
                i2[k] = e.inputIds()[j];
                l2[k++] = e.labels()[j];
            }
            ids.add(i2);
            labels.add(l2);
        }
        Tensor pixels = pass == Scorer.Requirement.NO_IMAGE_ZERO_PIXELS ? pixels(withImage, true) : null;
        LlavaModel.Output out = model.forward(be, ids, pixels, labels);
        List<float[]> nll = new ArrayList<>(withImage.size());
        for (int s = 0; s < withImage.size(); s++) {
            int len = out.inputs().lengths()[s];
            long[] targets = targets(out.inputs().labels().select(0, s), len);
            TokenScores tokens = TokenScores.compute(out.logits().select(0, s).narrow(0, 0, len), Tensor.ofLongs(targets, len), ignore);
            int n = 0;
            for (long t : targets) if (t != ignore) n++;
            float[] r = new float[n];
            for (int j = 0, k = 0; j < len; j++) if (targets[j] != ignore) r[k++] = tokens.nll()[j];
            nll.add(r);
        }
        return nll;
    }
}
