/*
 * The model passes that ADAPT-∞ needs per sample (docs/methods/adapt-inf.md §2, §4, §5, Appendix A), as few as possible:
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
 * Batching. run() takes a projection group of samples. The model runs over it batchSize samples at a time
 * (right-padded into one pass; results do not depend on the padding; 1 is the official setting), each pass in a
 * TensorScope that frees its temporaries when it ends (measured 3× faster than leaving them to the GC at batch 1;
 * but a scope holds all of a pass's temporaries to its end, so large batches need memory: 16 × 256 positions on a
 * 12-layer, 768-wide model exceeded 12 GB). Each sample's gradient is copied into a [group, …] buffer per LoRA
 * tensor and the whole group is projected at once: the Rademacher signs, the dominant cost at batch 1, are then
 * generated once per group instead of once per sample (the official code buffers 16 gradients for the same
 * reason). Memory: group × gradient length floats (16 × 10M × 4 B = 640 MB for LLaVA-7B's last layer at r = 128),
 * one copy per gradient. Each sample must have at least one response token (the pool scorer gives the others NaN
 * without running them). Only Java arrays leave run(). LoRA dropout must be off (LoraAdapter's default outside
 * training): the official extractor runs in eval mode (§2.1).
 *
 * Parallel samples. A small model's per-sample ops (a few thousand elements, 128-wide products) are too small to
 * split across cores, so a pass on 2 cores used one. With parallelSamples the group's batches are the parallel loop
 * instead: each batch runs on one thread with serial kernels (Parallel runs a loop inside a chunk serially), and
 * activation capture is per thread (LoraAdapter), so several passes are in flight at once. Each row is computed by
 * the same serial code as in a sequential run, so the results are the same bits (ScoringPassTest); the price is
 * one pass's temporaries per thread. Default: on for models up to PARALLEL_SAMPLES_MAX_PARAMETERS on the CPU.
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
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.train.PerSampleGradients;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model passes ADAPT-∞ needs per sample, as few as possible: one forward pass with images, one backward pass into
 * the chosen layers' LoRA tensors when needed, and one no-image forward pass per requirement, {@code batchSize} samples
 * per pass. {@code run} returns each example's vector (length {@code vectorDim()}) and evidence; {@code scoreGroup}
 * also applies scorers (all NaN for a null row).
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); a pass switches activation capture
 * on the model's shared LoRA adapters.
 */
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
    private final int ignore, batchSize;
    private final boolean parallelSamples;

    /** Models up to this many parameters score their batches in parallel by default (see parallelByDefault). */
    public static final long PARALLEL_SAMPLES_MAX_PARAMETERS = 100_000_000L;

    /** As the full constructor, with batches run in parallel when {@link #parallelByDefault} says so. */
    public ScoringPass(LlavaModel model, Backend be, SampleVectors.Config cfg, Set<Scorer.Requirement> needs,
                       GradientProjection projection, int batchSize) {
        this(model, be, cfg, needs, projection, batchSize, parallelByDefault(model, be));
    }

    /**
     * @param needs           the union of the requested scorers' requirements
     * @param batchSize       samples per model pass (1: the official setting)
     * @param parallelSamples run a group's batches on the CPU threads at once, each with serial kernels (same results)
     */
    public ScoringPass(LlavaModel model, Backend be, SampleVectors.Config cfg, Set<Scorer.Requirement> needs,
                       GradientProjection projection, int batchSize, boolean parallelSamples) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        this.batchSize = batchSize;
        this.parallelSamples = parallelSamples;
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

    /**
     * True for a model of at most PARALLEL_SAMPLES_MAX_PARAMETERS parameters on the CPU backend: its per-sample ops are
     * too small to split across cores (docs/performance.md, "Scoring throughput"), so whole batches run in parallel
     * instead. Larger models split each op, and a second pass in flight would double the activation memory.
     */
    public static boolean parallelByDefault(LlavaModel model, Backend be) {
        if (!(be instanceof dev.perennial.tensor.CpuBackend) || Parallel.threads() < 2) return false;
        long params = 0;
        for (Tensor w : model.weights().values()) params += w.numel();
        return params <= PARALLEL_SAMPLES_MAX_PARAMETERS;
    }

    /** Memory a projection group's gradient buffer may take when the group size is chosen automatically. */
    public static final long AUTO_GROUP_BYTES = 256L << 20;

    /**
     * The projection group chosen when none is given: the largest power of two up to 256 whose gradient buffer
     * (group × gradient length floats) fits AUTO_GROUP_BYTES, but at least 16 (the official code's buffer). The signs
     * are generated once per group, so a larger group costs fewer signs per sample (docs/performance.md, "Scoring
     * throughput"): 256 for the demo's base model (18,944 coordinates), 32 for the 221M bench model at r = 128, 16 for
     * LLaVA-7B's last layer (10M coordinates, 640 MB).
     */
    public int defaultGroup() {
        long length = Math.max(1, gradientLength());
        int g = 256;
        while (g > 16 && (long) g * length * Float.BYTES > AUTO_GROUP_BYTES) g /= 2;
        return g;
    }

    /** Length of one sample's flat LoRA gradient (Σ r·(in + out) over the differentiated adapters), 0 without one. */
    public long gradientLength() {
        long n = 0;
        if (adapters != null) for (LoraAdapter ad : adapters.values()) n += (long) ad.rank() * (ad.inFeatures() + ad.outFeatures());
        return n;
    }

    /** Whether this pass runs a group's batches in parallel. */
    public boolean parallelSamples() { return parallelSamples; }

    /** Length of the sample vectors: k for LORA_GRAD, the hidden size for HIDDEN_MEAN. */
    public int vectorDim() {
        return cfg.source() == SampleVectors.Source.LORA_GRAD ? cfg.dim() : model.config().text().hiddenSize();
    }

    /** The LoRA tensors differentiated (gradient order), or an empty map when no gradient is computed. */
    public Map<String, LoraAdapter> adapters() {
        return adapters == null ? Map.of() : adapters;
    }

    /** One row of a scored group: its vector [k] and its scores in the scorers' order (NaN for a row not scored). */
    public record ScoredRow(float[] vector, float[] scores) {}

    /**
     * The one scoring driver (`perennial score` and the ADAPT-∞ strategy): runs the group's examples (a null entry is
     * a sample that cannot be scored: a missing image, nothing supervised) through run() together, then applies
     * {@code scorers} to each result. Rows line up with {@code rows}; an unscored row is all NaN.
     */
    public List<ScoredRow> scoreGroup(List<TrainingExample> rows, java.util.Collection<Scorer> scorers) {
        List<TrainingExample> valid = new ArrayList<>();
        for (TrainingExample e : rows) if (e != null) valid.add(e);
        List<Result> results = run(valid);
        List<ScoredRow> out = new ArrayList<>(rows.size());
        int v = 0, k = vectorDim();
        for (TrainingExample e : rows) {
            float[] scores = new float[scorers.size()];
            if (e == null) {
                float[] nan = new float[k];
                java.util.Arrays.fill(nan, Float.NaN);
                java.util.Arrays.fill(scores, Float.NaN);
                out.add(new ScoredRow(nan, scores));
                continue;
            }
            Result r = results.get(v++);
            int j = 0;
            for (Scorer scorer : scorers) scores[j++] = scorer.score(r.evidence());
            out.add(new ScoredRow(r.vector(), scores));
        }
        return out;
    }

    /**
     * Vectors and evidence for every example of a projection group, in order: model passes of batchSize samples,
     * then one projection of the group's gradients (see the class comment).
     */
    public List<Result> run(List<TrainingExample> group) {
        int n = group.size();
        if (n == 0) return List.of();
        for (TrainingExample e : group) {
            boolean supervised = false;
            for (long l : e.labels()) supervised |= l != ignore;
            if (!supervised) throw new IllegalArgumentException("sample " + e.sampleIndex() + " has no response token to score");
        }
        boolean project = cfg.source() == SampleVectors.Source.LORA_GRAD;
        Map<String, PerSampleGradients.AdapterGradients> buffer = project ? groupBuffer(n) : null;   // [n, ...] per tensor
        float[][] hiddenVecs = new float[n][];
        double[] passNorms = new double[n];
        Arrays.fill(passNorms, Double.NaN);
        long[][] targets = new long[n][];
        TokenScores[] tokens = new TokenScores[n];
        List<Map<Scorer.Requirement, float[]>> second = new ArrayList<>(java.util.Collections.nCopies(n, null));
        int batches = (n + batchSize - 1) / batchSize;
        Parallel.RowRange passes = (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int b0 = c * batchSize;
                pass(group.subList(b0, Math.min(n, b0 + batchSize)), b0, project, buffer, hiddenVecs, passNorms, targets, tokens, second);
            }
        };
        // each batch on one thread with serial kernels (a loop inside a chunk runs serially): the rows of a batch are
        // computed as in a sequential run, so the results are the same bits whichever thread ran them
        if (parallelSamples && batches > 1) Parallel.forRows(batches, Long.MAX_VALUE / batches, passes);
        else passes.run(0, batches);
        float[][] vecs = hiddenVecs;
        double[] norms = passNorms;
        if (project) {
            SampleVectors.Projected p = vectors.project(buffer, cfg.dim(), cfg.seed());
            vecs = p.vectors();
            norms = p.gradientNorms();
            for (PerSampleGradients.AdapterGradients g : buffer.values()) {
                g.a().close();
                g.b().close();
            }
        }
        List<Result> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean hasImage = group.get(i).pixels() != null;
            results.add(new Result(vecs[i], SampleEvidence.of(tokens[i], targets[i], ignore, norms[i], hasImage, second.get(i))));
        }
        return results;
    }

    /**
     * The model passes of one batch (rows b0.. of the group): forward (+ backward into the chosen adapters), token
     * scores, no-image passes; results go to the group's arrays at rows b0.. (each row written by exactly one call).
     */
    private void pass(List<TrainingExample> batch, int b0, boolean project, Map<String, PerSampleGradients.AdapterGradients> buffer,
                      float[][] vecs, double[] norms, long[][] targets, TokenScores[] tokens,
                      List<Map<Scorer.Requirement, float[]>> second) {
        try (TensorScope scope = TensorScope.open()) {
            List<long[]> ids = new ArrayList<>(), labels = new ArrayList<>();
            for (TrainingExample e : batch) {
                ids.add(e.inputIds());
                labels.add(e.labels());
            }
            Tensor pixels = pixels(batch, false);
            LlavaModel.Output out;
            if (adapters != null) {
                PerSampleGradients.WithOutput r = PerSampleGradients.computeWithOutput(model, be, ids, pixels, labels, adapters);
                out = r.output();
                if (project) {
                    for (var e : r.gradients().entrySet()) {
                        PerSampleGradients.AdapterGradients into = buffer.get(e.getKey());
                        into.a().narrow(0, b0, batch.size()).copyFrom(e.getValue().a());
                        into.b().narrow(0, b0, batch.size()).copyFrom(e.getValue().b());
                    }
                } else {
                    double[] g = vectors.project(r.gradients(), 0, cfg.seed()).gradientNorms();
                    System.arraycopy(g, 0, norms, b0, batch.size());
                }
            } else {
                out = model.forward(be, ids, pixels, labels);
            }
            for (int s = 0; s < batch.size(); s++) {
                int len = out.inputs().lengths()[s], i = b0 + s;
                targets[i] = targets(out.inputs().labels().select(0, s), len);
                tokens[i] = TokenScoring.OP.on(be).compute(out.logits().select(0, s).narrow(0, 0, len), Tensor.ofLongs(targets[i], len), ignore);
                if (!project) vecs[i] = SampleVectors.hiddenMean(hiddenStates(out).select(0, s), len);
            }
            Map<Scorer.Requirement, List<float[]>> noImage = new EnumMap<>(Scorer.Requirement.class);
            for (Scorer.Requirement pass : needs) {
                if (pass != Scorer.Requirement.GRADIENT) noImage.put(pass, noImagePass(batch, pass));
            }
            int image = 0;
            for (int s = 0; s < batch.size(); s++) {
                Map<Scorer.Requirement, float[]> nll = new EnumMap<>(Scorer.Requirement.class);
                if (batch.get(s).pixels() != null) {
                    for (var p : noImage.entrySet()) nll.put(p.getKey(), p.getValue().get(image));
                    image++;
                }
                second.set(b0 + s, nll);
            }
        }
    }

    /** Zeroed [n, r, in] and [n, out, r] tensors for every differentiated adapter, outside any scope. */
    private Map<String, PerSampleGradients.AdapterGradients> groupBuffer(int n) {
        Map<String, PerSampleGradients.AdapterGradients> buffer = new LinkedHashMap<>();
        for (var e : adapters.entrySet()) {
            LoraAdapter ad = e.getValue();
            buffer.put(e.getKey(), new PerSampleGradients.AdapterGradients(Tensor.zeros(n, ad.rank(), ad.inFeatures()),
                    Tensor.zeros(n, ad.outFeatures(), ad.rank())));
        }
        return buffer;
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
            TokenScores tokens = TokenScoring.OP.on(be).compute(out.logits().select(0, s).narrow(0, 0, len), Tensor.ofLongs(targets, len), ignore);
            int n = 0;
            for (long t : targets) if (t != ignore) n++;
            float[] r = new float[n];
            for (int j = 0, k = 0; j < len; j++) if (targets[j] != ignore) r[k++] = tokens.nll()[j];
            nll.add(r);
        }
        return nll;
    }
}
