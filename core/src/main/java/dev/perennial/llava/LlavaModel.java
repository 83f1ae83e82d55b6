/*
 * LLaVA-1.5: CLIP vision tower -> feature layer and strategy -> projector -> features spliced into the LLaMA
 * decoder's input embeddings at the image markers -> logits and the mean cross-entropy over supervised shifted
 * tokens (docs/methods/llava-numerics.md "The tiny model", "code path"). Loads llava-hf and original haotian-liu/LLaVA
 * safetensors checkpoints (config and weight names in either dialect, F32/F16/BF16 memory-mapped).
 *
 * Image markers: the config's image token (llava-hf: image_token_index, e.g. 32000) and the original code base's
 * -200 are both accepted, so either tokenisation works with either checkpoint; each marker takes the next image
 * of the batch, in order.
 *
 * Memory: forward (and Generator.generate) free their temporaries before returning, so a caller needs no
 * TensorScope; results that escape every scope are left to the garbage collector, which is asked to run after every
 * 64 MB of them (TensorScope). Threads: inference (forward without a recording backend, Generator, LlavaChat) is
 * safe to call from several threads at once and gives the sequential results bit for bit (ConcurrentInferenceTest):
 * weights are read-only and the shared attention-mask caches are synchronised. Training mutates LoRA adapters and
 * prompt tensors: one trainer per model at a time.
 */
package dev.perennial.llava;

import dev.perennial.io.TensorSource;
import dev.perennial.nn.Linear;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A loaded LLaVA-1.5 checkpoint (llava-hf or original layout, F32/F16/BF16 weights memory-mapped): CLIP vision tower,
 * projector and LLaMA decoder. {@code forward} takes token ids with image markers and pixels {@code [N, 3, S, S]},
 * splices the projected image features {@code [N, F, D]} in at the markers and returns logits {@code [B, T, V]} and,
 * with labels, the mean cross-entropy (nats per supervised token).
 * <p>Thread-safety: inference ({@code forward} with a non-recording backend, {@link Generator}, {@link LlavaChat}) is
 * safe from several threads at once and bit-identical to sequential calls (ConcurrentInferenceTest): the weights are
 * read-only and the shared attention-mask caches are synchronized. Training mutates LoRA adapters and prompt tensors:
 * one trainer per model at a time, with no inference meanwhile; {@code close()} only when no call is running.
 */
public final class LlavaModel implements AutoCloseable {
    private final LlavaConfig config;
    private final ClipVisionTower visionTower;
    private final Projector projector;
    private final LlamaDecoder decoder;
    private final List<TensorSource> sources;
    private final Map<String, Tensor> weights;
    private final Map<String, Linear> linears;
    private final Map<String, String> checkpointNames;

    private LlavaModel(LlavaConfig config, ClipVisionTower visionTower, Projector projector, LlamaDecoder decoder,
                       List<TensorSource> sources, Map<String, Tensor> weights, Map<String, Linear> linears,
                       Map<String, String> checkpointNames) {
        this.checkpointNames = Collections.unmodifiableMap(checkpointNames);
        this.config = config;
        this.weights = Collections.unmodifiableMap(weights);
        this.linears = Collections.unmodifiableMap(linears);
        this.visionTower = visionTower;
        this.projector = projector;
        this.decoder = decoder;
        this.sources = sources;
    }

    /** Loads a checkpoint folder of either dialect. */
    public static LlavaModel load(Path modelDir) throws IOException {
        return load(modelDir, null);
    }

    /** Loads a checkpoint folder; {@code visionTowerDir} overrides where an original checkpoint's CLIP lives. */
    public static LlavaModel load(Path modelDir, Path visionTowerDir) throws IOException {
        return load(modelDir, visionTowerDir, false);
    }

    /**
     * As load(modelDir, visionTowerDir); with {@code writableCopies} every weight is a float32 copy in memory
     * that an optimizer may update in place (full fine-tuning) instead of a read-only memory map.
     */
    public static LlavaModel load(Path modelDir, Path visionTowerDir, boolean writableCopies) throws IOException {
        LlavaConfig config = LlavaConfig.load(modelDir, visionTowerDir);
        TensorSource main = TensorSource.open(modelDir);
        TensorSource tower = null;
        try {
            if (config.visionTowerDir() != null && hasWeights(config.visionTowerDir())) {
                tower = TensorSource.open(config.visionTowerDir());
            }
            WeightLoader w = new WeightLoader(config, main, tower, writableCopies);
            ClipVisionTower vision = ClipVisionTower.load(config.vision(), w, "vision_tower.vision_model.");
            Projector projector = Projector.load(config, w);
            LlamaDecoder decoder = LlamaDecoder.load(config.text(), w);
            w.finish(modelDir.toString());
            List<TensorSource> sources = tower == null ? List.of(main) : List.of(main, tower);
            return new LlavaModel(config, vision, projector, decoder, sources, w.loaded(), w.linears(), w.storedNames());
        } catch (IOException | RuntimeException e) {
            main.close();
            if (tower != null) tower.close();
            throw e;
        }
    }

    private static boolean hasWeights(Path dir) {
        return Files.isRegularFile(dir.resolve(TensorSource.SINGLE_FILE)) || Files.isRegularFile(dir.resolve(TensorSource.INDEX_FILE));
    }

    public LlavaConfig config() { return config; }
    public ClipVisionTower visionTower() { return visionTower; }
    public Projector projector() { return projector; }
    public LlamaDecoder decoder() { return decoder; }

    /** Every weight by its llava-hf name (memory-mapped, in the checkpoint's precision), in load order. */
    public Map<String, Tensor> weights() { return weights; }

    /** The name a weight (by llava-hf name) has in the loaded checkpoint, e.g. model.mm_projector.0.weight. */
    public String checkpointName(String hfName) {
        String n = checkpointNames.get(hfName);
        if (n == null) throw new IllegalArgumentException("no weight " + hfName);
        return n;
    }

    /** Every linear layer by llava-hf module name (e.g. language_model.model.layers.0.self_attn.q_proj). */
    public Map<String, Linear> linears() { return linears; }

    /** True for ids that mark an image: the config's image token, or the original code base's -200. */
    public boolean isImageToken(long id) {
        return id == config.imageTokenIndex() || id == LlavaConfigLoader.ORIGINAL_IMAGE_TOKEN;
    }

    // ------------------------------------------------------------------------------------------- images

    /** CLIP hidden state at the feature layer after the strategy: pixels [N, 3, S, S] -> [N, F, Dv]. */
    public Tensor selectedFeatures(Backend be, Tensor pixels) {
        if (pixels.rank() == 3) pixels = pixels.unsqueeze(0);              // one image [3, S, S], as a preprocessor gives it
        if (!pixels.storage().isDeviceMemory()) requireFinite(pixels);     // device pixels were checked before upload
        List<Tensor> states = visionTower.hiddenStates(be, pixels, config.featureLayerIndex());
        Tensor h = states.get(config.featureLayerIndex());
        return config.featureStrategy() == LlavaConfig.FeatureStrategy.DEFAULT ? h.narrow(1, 1, h.size(1) - 1) : h;
    }

    /**
     * Non-finite pixel values would turn every logit into NaN without a word (CLIP's attention mixes every patch);
     * they are refused here, the one door every host image goes through (MicroBatch checks images before it copies
     * them to a device). [N, 3, S, S] is small beside the tower's work.
     */
    public static void requireFinite(Tensor pixels) {
        requireFinite(pixels, "pixel values", "image");
    }

    /**
     * The same check for any model input read on the host: {@code what} names it in the message ("prompt embeddings of
     * FILE"), {@code item} its first dimension ("image", "row"). Prompt embeddings loaded from a file, the CLIP image
     * tower's pixels and the prompts of an inference pass go through here.
     */
    public static void requireFinite(Tensor input, String what, String item) {
        float[] v = input.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                int n = input.rank() == 0 ? 1 : input.size(0), per = v.length / Math.max(1, n);
                throw new IllegalArgumentException(what + " hold " + v[i] + " (" + item + " " + i / per + " of " + n
                        + ", element " + i % per + "): the model needs finite inputs");
            }
        }
    }

    /** Projected image features: pixels [N, 3, S, S] -> [N, F, Dt]. */
    public Tensor imageFeatures(Backend be, Tensor pixels) {
        if (be instanceof dev.perennial.autograd.GradBackend) return projector.forward(be, selectedFeatures(be, pixels));
        try (TensorScope scope = TensorScope.open()) {                  // the tower's temporaries are freed here
            return scope.keep(projector.forward(be, selectedFeatures(be, pixels)));
        }
    }

    // ------------------------------------------------------------------------------------------- splicing

    /**
     * Splices image features into the token embeddings of each sample and pads the batch.
     * @param ids      one id sequence per sample, image markers included
     * @param features [N, F, Dt] projected features of all images, in marker order (null when there are none)
     * @param labels   per-sample labels aligned with ids (null: no labels)
     */
    public MergedInputs merge(Backend be, List<long[]> ids, Tensor features, List<long[]> labels, boolean leftPad) {
        return merge(be, ids, features, labels, leftPad, (List<PromptInsertion>) null);
    }

    /** As merge(), with prompt embeddings inserted into every sample (null: none). */
    public MergedInputs merge(Backend be, List<long[]> ids, Tensor features, List<long[]> labels, boolean leftPad,
                              PromptInsertion prompt) {
        return merge(be, ids, features, labels, leftPad, prompt == null ? null : java.util.Collections.nCopies(ids.size(), prompt));
    }

    /**
     * As merge(), with each sample's own prompt embeddings inserted (ModalPrompt selects prompts per sample).
     * @param prompts one insertion per sample (an element may be null: no prompt for that sample), or null
     */
    public MergedInputs merge(Backend be, List<long[]> ids, Tensor features, List<long[]> labels, boolean leftPad,
                              List<PromptInsertion> prompts) {
        int d = config.text().hiddenSize(), b = ids.size(), f = config.imageFeatureCount();
        if (prompts != null && prompts.size() != b) {
            throw new IllegalArgumentException(prompts.size() + " prompt insertions for " + b + " samples");
        }
        for (int s = 0; prompts != null && s < b; s++) {
            PromptInsertion prompt = prompts.get(s);
            if (prompt != null && prompt.length() > 0 && prompt.embeddings().size(1) != d) {
                throw new IllegalArgumentException("prompt embeddings have width " + prompt.embeddings().size(1) + ", the model " + d);
            }
            // inference only: in training they are parameters, whose divergence the trainer's non-finite loss check names
            if (prompt != null && !(be instanceof dev.perennial.autograd.GradBackend) && !prompt.embeddings().storage().isDeviceMemory()
                    && (s == 0 || prompt != prompts.get(s - 1))) {
                requireFinite(prompt.embeddings(), "prompt embeddings (sample " + s + ")", "row");
                for (var e : prompt.prefixes().entrySet()) {
                    if (!e.getValue().storage().isDeviceMemory()) {
                        requireFinite(e.getValue(), "the layer-" + e.getKey() + " prefix (sample " + s + ")", "row");
                    }
                }
            }
        }
        int images = features == null ? 0 : features.size(0);
        List<Tensor> rows = new ArrayList<>(b);
        List<long[]> rowLabels = new ArrayList<>(b);
        int image = 0, maxLen = 0;
        for (int s = 0; s < b; s++) {
            long[] seq = ids.get(s), lab = labels == null ? null : labels.get(s);
            if (lab != null && lab.length != seq.length) {
                throw new IllegalArgumentException("sample " + s + ": " + seq.length + " ids but " + lab.length + " labels");
            }
            List<Tensor> parts = new ArrayList<>();
            List<Long> merged = new ArrayList<>();
            int textStart = 0;
            for (int i = 0; i <= seq.length; i++) {
                if (i < seq.length && !isImageToken(seq[i])) continue;
                if (i > textStart) {
                    long[] chunk = java.util.Arrays.copyOfRange(seq, textStart, i);
                    parts.add(decoder.embed(be, Tensor.ofLongs(chunk, chunk.length)));          // [n, D]
                    for (int j = textStart; j < i; j++) merged.add(lab == null ? 0 : lab[j]);
                }
                if (i < seq.length) {
                    if (image >= images) {
                        throw new IllegalArgumentException("sample " + s + " has more image markers than the " + images + " images given");
                    }
                    parts.add(features.select(0, image++));                                   // [F, D]
                    for (int j = 0; j < f; j++) merged.add((long) config.ignoreIndex());
                }
                textStart = i + 1;
            }
            Tensor row = parts.isEmpty() ? Tensor.zeros(0, d) : be.concat(parts, 0);
            PromptInsertion prompt = prompts == null ? null : prompts.get(s);
            if (prompt != null && prompt.length() > 0) {
                int at = prompt.placement() == PromptInsertion.Placement.AFTER_BOS && seq.length > 0
                        && seq[0] == config.text().bosTokenId() ? 1 : 0;
                row = be.concat(List.of(row.narrow(0, 0, at), prompt.embeddings(), row.narrow(0, at, row.size(0) - at)), 0);
                for (int j = 0; j < prompt.length(); j++) merged.add(at, (long) config.ignoreIndex());
            }
            rows.add(row);
            rowLabels.add(merged.stream().mapToLong(Long::longValue).toArray());
            maxLen = Math.max(maxLen, row.size(0));
        }
        if (image != images) throw new IllegalArgumentException(images + " images given but " + image + " image markers found");

        // padding and batching through backend ops (concat/stack), so recorded gradients reach the features
        List<Tensor> padded = new ArrayList<>(b);
        Tensor positions = Tensor.zeros(DType.I64, b, maxLen);
        Tensor mergedLabels = labels == null ? null : Tensor.zeros(DType.I64, b, maxLen);
        boolean[][] valid = new boolean[b][maxLen];
        int[] lengths = new int[b];
        for (int s = 0; s < b; s++) {
            Tensor row = rows.get(s);
            int n = row.size(0), offset = leftPad ? maxLen - n : 0;
            lengths[s] = n;
            if (n < maxLen) {
                Tensor pad = Tensor.zeros(maxLen - n, d);
                row = be.concat(leftPad ? List.of(pad, row) : List.of(row, pad), 0);
            }
            padded.add(row);
            for (int j = 0; j < maxLen; j++) {
                boolean real = j >= offset && j < offset + n;
                valid[s][j] = real;
                positions.setLong(real ? j - offset : 0, s, j);
                if (mergedLabels != null) mergedLabels.setLong(real ? rowLabels.get(s)[j - offset] : config.ignoreIndex(), s, j);
            }
        }
        Tensor embeds = be.stack(padded, 0);                                                     // [B, T, D]
        return new MergedInputs(embeds, positions, valid, mergedLabels, lengths, leftPad);
    }

    // ------------------------------------------------------------------------------------------- forward

    /**
     * Logits and (with labels) losses of a forward pass.
     * @param logits       [B, T, V]
     * @param perTokenLoss [B, T-1]: CE(logits[t], labels[t+1]), 0 where ignored; null without labels
     * @param lossTensor   rank-0 mean over supervised tokens (the value to differentiate); null without them
     * @param loss         lossTensor's value (NaN without labels or supervised tokens)
     */
    public record Output(MergedInputs inputs, LlamaDecoder.Hidden hidden, Tensor logits, Tensor perTokenLoss,
                         Tensor lossTensor, double loss, int supervisedTokens) {}

    /**
     * A full forward pass (right padding).
     * @param pixels [N, 3, S, S] images for the markers in order, or null
     */
    public Output forward(Backend be, List<long[]> ids, Tensor pixels, List<long[]> labels) {
        return forward(be, ids, pixels, labels, (List<PromptInsertion>) null);
    }

    /** A full forward pass with prompt embeddings inserted into every sample (prompt tuning; null: none). */
    public Output forward(Backend be, List<long[]> ids, Tensor pixels, List<long[]> labels, PromptInsertion prompt) {
        return forward(be, ids, pixels, labels, prompt == null ? null : java.util.Collections.nCopies(ids.size(), prompt));
    }

    /** A full forward pass with each sample's own prompt embeddings inserted (null, or null elements: none). */
    public Output forward(Backend be, List<long[]> ids, Tensor pixels, List<long[]> labels, List<PromptInsertion> prompts) {
        if (be instanceof dev.perennial.autograd.GradBackend) return forwardPass(be, ids, pixels, labels, prompts);   // backward needs it all
        // Everything but the returned tensors is freed here, so a caller who knows nothing of TensorScope does not
        // leave a pass's intermediates (hundreds of MB on a 7B model) to the garbage collector.
        try (TensorScope scope = TensorScope.open()) {
            Output out = forwardPass(be, ids, pixels, labels, prompts);
            java.util.Set<dev.perennial.tensor.Storage> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            java.util.List<Tensor> outputs = new java.util.ArrayList<>(List.of(out.inputs().embeds(), out.inputs().positions(),
                    out.hidden().normed(), out.logits()));
            outputs.addAll(out.hidden().layerOutputs());
            if (out.inputs().labels() != null) outputs.add(out.inputs().labels());
            if (out.perTokenLoss() != null) outputs.add(out.perTokenLoss());
            if (out.lossTensor() != null) outputs.add(out.lossTensor());
            for (Tensor t : outputs) if (kept.add(t.storage())) scope.keep(t);
            return out;
        }
    }

    /**
     * A training forward pass: the mean loss over the supervised tokens, with the vocabulary head applied only at the
     * positions that have a target. The head is a [T, D]·[D, V] product: for 707 positions and 32,064 words a
     * third of a 221M model's training step, of which only the supervised rows reach the loss (64 in the bench
     * sample); so the hidden states of those rows are gathered first (`embedding` as a row gather, whose backward
     * scatters into them), and neither the [B, T, V] logits nor their gradient exist (docs/architecture.md,
     * "Autograd"). The loss equals forward()'s up to the head's summation order (LossOnlyForwardTest).
     * @return an Output whose {@code logits} are the supervised rows' [N, V] (in (sample, position) order) and whose
     *         {@code perTokenLoss} is null; {@code lossTensor}, {@code loss} and {@code supervisedTokens} as forward()
     */
    public Output forwardLoss(Backend be, List<long[]> ids, Tensor pixels, List<long[]> labels, List<PromptInsertion> prompts) {
        if (labels == null) throw new IllegalArgumentException("forwardLoss needs labels");
        Tensor features = pixels == null ? null : imageFeatures(be, pixels);
        MergedInputs in = merge(be, ids, features, labels, false, prompts);
        LlamaDecoder.Hidden hidden = decoder.forward(be, in.embeds(), in.positions(), in.valid(), null,
                AttentionPrefix.of(prompts, config.text()));
        int b = in.batch(), t = in.length(), d = hidden.normed().size(2);
        long[] all = in.labels().toLongArray();                                     // [B, T] merged labels
        int v = config.text().vocabSize(), count = 0;
        long[] rows = new long[b * Math.max(0, t - 1)], targets = new long[rows.length];
        for (int s = 0; s < b; s++) {
            for (int j = 0; j + 1 < t; j++) {                                        // row (s, j) predicts label (s, j + 1)
                long target = all[s * t + j + 1];
                if (target == config.ignoreIndex()) continue;
                if (target < 0 || target >= v) throw new IndexOutOfBoundsException("target " + target + " outside [0, " + v + ")");
                rows[count] = (long) s * t + j;
                targets[count++] = target;
            }
        }
        if (count == 0) return new Output(in, hidden, null, null, null, Double.NaN, 0);
        Tensor flat = hidden.normed().reshape(b * t, d);                             // [B*T, D]
        // the row ids stay host tensors: the recorded gather's backward reads them on the host, so a device backend
        // copies them in once and nothing is read back (DeviceResidencyTest)
        Tensor picked = be.embedding(flat, Tensor.ofLongs(java.util.Arrays.copyOf(rows, count), count));             // [N, D]
        Tensor logits = decoder.logits(be, picked);                                  // [N, V]
        Tensor perToken = be.crossEntropy(logits, be.place(Tensor.ofLongs(java.util.Arrays.copyOf(targets, count), count)),
                config.ignoreIndex());                                               // [N]
        Tensor loss = be.scale(be.sum(perToken, 0, false), 1f / count);            // rank 0
        return new Output(in, hidden, logits, null, loss, loss.item(), count);
    }

    private Output forwardPass(Backend be, List<long[]> ids, Tensor pixels, List<long[]> labels, List<PromptInsertion> prompts) {
        Tensor features = pixels == null ? null : imageFeatures(be, pixels);
        MergedInputs in = merge(be, ids, features, labels, false, prompts);
        LlamaDecoder.Hidden hidden = decoder.forward(be, in.embeds(), in.positions(), in.valid(), null,
                AttentionPrefix.of(prompts, config.text()));
        Tensor logits = decoder.logits(be, hidden.normed());                                   // [B, T, V]
        if (labels == null) return new Output(in, hidden, logits, null, null, Double.NaN, 0);
        int b = in.batch(), t = in.length(), v = logits.size(2);
        if (t < 2) return new Output(in, hidden, logits, Tensor.zeros(b, Math.max(0, t - 1)), null, Double.NaN, 0);
        Tensor shiftedLogits = be.contiguous(logits.narrow(1, 0, t - 1)).reshape(b * (t - 1), v);
        Tensor targets = in.labels().narrow(1, 1, t - 1).contiguous().reshape(b * (t - 1));
        int count = 0;
        for (long target : targets.toLongArray()) {                 // checked here, on the host, before they go in
            if (target == config.ignoreIndex()) continue;
            if (target < 0 || target >= v) throw new IndexOutOfBoundsException("target " + target + " outside [0, " + v + ")");
            count++;
        }
        Tensor perToken = be.crossEntropy(shiftedLogits, be.place(targets), config.ignoreIndex());   // [B*(T-1)]
        if (count == 0) return new Output(in, hidden, logits, perToken.reshape(b, t - 1), null, Double.NaN, 0);
        Tensor loss = be.scale(be.sum(perToken, 0, false), 1f / count);                            // rank 0
        return new Output(in, hidden, logits, perToken.reshape(b, t - 1), loss, loss.item(), count);
    }

    @Override
    public void close() throws IOException {
        for (TensorSource s : sources) s.close();
    }
}
