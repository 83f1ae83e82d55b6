/*
 * The training loop: length-grouped batches of TrainingExamples, each micro-batch run by a
 * TrainingObjective (default: forward through a recording GradBackend with only the trainable tensors watched,
 * loss on assistant tokens only; prompt pools bring their own), gradient accumulation, clipping, warm-up + cosine learning rate, AdamW (optionally with
 * parameter groups at their own peak rate, as LLaVA trains its projector beside LoRA), periodic atomic checkpoints, and
 * resume from the latest checkpoint with bit-identical results (data order depends on (seed, epoch), dropout
 * on (seed, step)). A non-finite loss stops the run with an error naming the batch's samples. Progress
 * (samples/s, ETA) is logged through SLF4J and offered to a listener (the CLI's progress bar).
 */
package dev.perennial.train;

import dev.perennial.data.LengthGroupedBatches;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.Fingerprint;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The training loop: length-grouped micro-batches of {@code TrainingExample}s, gradient accumulation, gradient-norm
 * clipping, warm-up plus cosine learning rate and AdamW, updating the given float32 trainable tensors in place, with
 * periodic atomic checkpoints and bit-identical resume. {@code train} reports each optimizer step's loss (mean
 * cross-entropy) and offers progress as samples per second and an ETA in seconds.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it keeps per-run state (settings
 * fingerprint, earlier losses, last saved step, identity entries) in unsynchronized fields and updates the model's
 * trainable tensors and LoRA adapters, so run one trainer per model at a time.
 */
public final class Trainer {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    /** Receives one line of progress per optimizer step. */
    @FunctionalInterface
    public interface Progress {
        void step(long step, long totalSteps, double loss, double samplesPerSecond, double etaSeconds);
    }

    /** A non-finite loss: the batch is named so the data can be inspected. */
    public static final class NonFiniteLossException extends ArithmeticException {
        public NonFiniteLossException(String message) { super(message); }
    }

    /**
     * What a run did: optimizer steps taken in this call and the loss of each; {@code runLosses} holds the loss of every
     * step of the run, those before a resume included (kept in the checkpoints), so a resumed run reports the same.
     */
    public record Result(long firstStep, long lastStep, List<Double> losses, List<Double> runLosses) {}

    private final LlavaModel model;
    private final Map<String, Tensor> params;
    private final TrainingObjective objective;
    private final Collection<LoraAdapter> adapters;
    private final TrainConfig cfg;
    private final Map<String, String> identity = new java.util.LinkedHashMap<>();
    private final Map<java.util.Set<String>, Double> groups = new java.util.LinkedHashMap<>();   // parameter group -> its peak lr
    private Fingerprint settings;
    private List<Double> earlierLosses = List.of();
    private long savedStep = -1;                          // the step of the checkpoint written last in this run

    /**
     * @param params   the trainable tensors by name (float32, writable; updated in place)
     * @param prompt   prompt embeddings to insert (prompt tuning; its tensor must be in params), or null
     * @param adapters LoRA adapters whose dropout is reseeded per step (may be empty)
     */
    public Trainer(LlavaModel model, Backend be, Map<String, Tensor> params, PromptInsertion prompt,
                   Collection<LoraAdapter> adapters, TrainConfig cfg) {
        this(model, params, languageModelLoss(model, be, params, prompt), adapters, cfg);
    }

    /**
     * A trainer whose micro-batches are run by {@code objective} (e.g. ModalPrompt's per-sample prompts and key loss).
     * @param params the trainable tensors by name, as the objective's gradients name them (updated in place)
     */
    public Trainer(LlavaModel model, Map<String, Tensor> params, TrainingObjective objective,
                   Collection<LoraAdapter> adapters, TrainConfig cfg) {
        this.model = model;
        this.params = params;
        this.objective = objective;
        this.adapters = adapters;
        this.cfg = cfg;
    }

    /** LLaVA's objective: mean cross-entropy over the assistant tokens, with {@code prompt} (or none) in every sample. */
    public static TrainingObjective languageModelLoss(LlavaModel model, Backend be, Map<String, Tensor> params, PromptInsertion prompt) {
        return new TrainingObjective() {
            @Override
            public TrainingStep.Result run(List<TrainingExample> examples, int[] batch) {
                MicroBatch mb = MicroBatch.of(examples, batch, be);
                try {
                    return TrainingStep.run(model, be, params, prompt, mb.ids(), mb.pixels(), mb.labels());
                } finally {
                    if (mb.pixels() != null) mb.pixels().close();           // the batch's copy, not the examples' images
                }
            }

            @Override
            public Backend backend() { return be; }
        };
    }

    /**
     * Trains on {@code examples}, checkpointing into {@code checkpointDir} (null: no checkpoints); with
     * {@code resume}, continues from the latest checkpoint there.
     */
    public Result train(List<TrainingExample> examples, Path checkpointDir, boolean resume, Progress progress) throws IOException {
        adapters.forEach(a -> a.setTraining(true));
        try {
            return run(examples, checkpointDir, resume, progress);
        } finally {
            adapters.forEach(a -> a.setTraining(false));
        }
    }

    private Result run(List<TrainingExample> examples, Path checkpointDir, boolean resume, Progress progress) throws IOException {
        requireSupervision(examples);
        int[] lengths = examples.stream().mapToInt(e -> e.length() + (e.pixels() == null ? 0 : model.config().imageFeatureCount())).toArray();
        long microPerEpoch = (examples.size() + cfg.batchSize() - 1) / cfg.batchSize();
        long stepsPerEpoch = Math.max(1, microPerEpoch / cfg.gradAccumulation());
        long totalSteps = stepsPerEpoch * cfg.epochs();
        long warmup = (long) Math.ceil(cfg.warmupRatio() * totalSteps);
        LearningRateSchedule schedule = warmup < totalSteps ? LearningRateSchedule.cosineWithWarmup(warmup, totalSteps, 0)
                : LearningRateSchedule.constantWithWarmup(warmup);
        Backend be = objective.backend();
        Optimizer opt = AdamW.builder().setLearningRate(cfg.learningRate()).optWeightDecay(cfg.weightDecay()).optBackend(be).build();

        long step = 0;
        int startEpoch = 0, startBatch = 0;
        List<Double> earlier = List.of();
        Fingerprint settings = fingerprint(examples);
        if (resume && checkpointDir != null) {
            TrainingCheckpoint cp = TrainingCheckpoint.loadLatest(checkpointDir);
            if (cp != null) {
                if (!cp.settings().equals(settings)) {
                    throw new IOException(checkpointDir + ": the checkpoint there belongs to a run with other data or settings ("
                            + settings.describeDifferences(cp.settings(), 6) + "); it cannot be resumed");
                }
                for (var e : params.entrySet()) {
                    Tensor saved = cp.trainable().get(e.getKey());
                    if (saved == null) throw new IOException(checkpointDir + ": checkpoint lacks trainable tensor " + e.getKey());
                    e.getValue().copyFrom(saved);
                }
                opt.loadState(cp.optimizerState());
                objective.restoreState(cp.objectiveState());
                earlier = cp.losses();
                step = cp.step();
                startEpoch = cp.epoch();
                startBatch = cp.batchInEpoch();
                log.info("resuming at step {} (epoch {}, batch {})", step, startEpoch, startBatch);
            }
        }
        long firstStep = step;
        savedStep = -1;
        List<Double> losses = new ArrayList<>();
        this.earlierLosses = earlier;
        GradientAccumulator acc = new GradientAccumulator(be);
        double accLoss = 0;
        long t0 = System.nanoTime(), samples = 0;
        this.settings = settings;
        for (int epoch = startEpoch; epoch < cfg.epochs(); epoch++) {
            List<int[]> batches = LengthGroupedBatches.of(lengths, cfg.batchSize(), 4, cfg.seed() * 1_000_003L + epoch);
            int usable = (int) (stepsPerEpoch * cfg.gradAccumulation());
            for (int bi = epoch == startEpoch ? startBatch : 0; bi < Math.min(usable, batches.size()); bi++) {
                if (cfg.maxSteps() >= 0 && step >= cfg.maxSteps()) return finish(checkpointDir, step, epoch, bi, opt, firstStep, losses);
                int k = 0;
                for (LoraAdapter ad : adapters) ad.reseed(new java.util.SplittableRandom(cfg.seed() ^ (step << 20) ^ k++).nextLong());
                accLoss += microStep(examples, batches.get(bi), acc);
                samples += batches.get(bi).length;
                if (acc.microBatches() < cfg.gradAccumulation()) continue;
                Map<String, Tensor> grads = acc.takeMean();
                try {
                    if (cfg.maxGradNorm() > 0) GradientClipping.clipByGlobalNorm(be, grads, cfg.maxGradNorm());
                    opt.setLearningRate(cfg.learningRate() * schedule.multiplier(step));
                    for (var g : groups.entrySet()) opt.setLearningRate(g.getKey(), g.getValue() * schedule.multiplier(step));
                    opt.step(params, grads);
                } finally {
                    grads.values().forEach(Tensor::close);
                }
                double loss = accLoss / cfg.gradAccumulation();
                accLoss = 0;
                losses.add(loss);
                step++;
                double elapsed = (System.nanoTime() - t0) / 1e9, rate = samples / Math.max(elapsed, 1e-9);
                double eta = (totalSteps - step) * (elapsed / Math.max(1, step - firstStep));
                if (progress != null) progress.step(step, totalSteps, loss, rate, eta);
                if (step % 10 == 0 || step == totalSteps) {
                    log.info(String.format(java.util.Locale.ROOT, "step %d/%d loss %.4f %.1f samples/s ETA %.0f s", step, totalSteps, loss, rate, eta));
                }
                if (checkpointDir != null && cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0) {
                    // the position after an epoch's last batch is the next epoch's start, as finish() records it, so
                    // a checkpoint of the same step has the same bytes whichever of the two wrote it last
                    boolean epochDone = bi + 1 >= Math.min(usable, batches.size());
                    checkpoint(checkpointDir, step, epochDone ? epoch + 1 : epoch, epochDone ? 0 : bi + 1, opt, losses);
                }
            }
        }
        return finish(checkpointDir, step, cfg.epochs(), 0, opt, firstStep, losses);
    }

    /** A run that would train on nothing stops here instead of saving untrained parameters as its result. */
    private void requireSupervision(List<TrainingExample> examples) {
        int ignore = model.config().ignoreIndex();
        for (TrainingExample e : examples) for (long l : e.labels()) if (l != ignore) return;
        throw new IllegalArgumentException("nothing to train on: none of the " + examples.size() + " samples keeps a response token"
                + (examples.isEmpty() ? "" : " (were they all cut by the length limit?)"));
    }

    private Result finish(Path dir, long step, int epoch, int batch, Optimizer opt, long firstStep, List<Double> losses) throws IOException {
        // not when a periodic checkpoint just saved this very step: rewriting checkpoint-<step> in place would delete
        // the folder "latest" names before its replacement exists (a crash there left no checkpoint to resume from)
        if (dir != null && step > firstStep && step != savedStep) checkpoint(dir, step, epoch, batch, opt, losses);
        return new Result(firstStep, step, losses, runLosses(losses));
    }

    private void checkpoint(Path dir, long step, int epoch, int batch, Optimizer opt, List<Double> losses) throws IOException {
        new TrainingCheckpoint(step, epoch, batch, params, opt.state(), settings, runLosses(losses), objective.checkpointState()).save(dir);
        savedStep = step;
    }

    private List<Double> runLosses(List<Double> losses) {
        List<Double> all = new ArrayList<>(earlierLosses);
        all.addAll(losses);
        return all;
    }

    /**
     * What this run's result depends on (stored with each checkpoint): the examples' content, the training settings
     * (not the checkpoint interval nor max-steps, which only say where the run stops: a run stopped by max-steps
     * continues from its checkpoint exactly like an uninterrupted one), the trainable tensors' names, shapes and
     * initial values (covering LoRA rank and seed, prompt initialisation, and the base weights in full fine-tuning),
     * and whatever the caller added with identify().
     */
    private Fingerprint fingerprint(List<TrainingExample> examples) {
        java.security.MessageDigest data = Fingerprint.sha256();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        for (TrainingExample e : examples) {
            b.clear();
            data.update(b.putInt(e.inputIds().length).putInt(e.pixels() == null ? 0 : 1).flip());
            for (long id : e.inputIds()) data.update(b.clear().putLong(id).flip());
            for (long l : e.labels()) data.update(b.clear().putLong(l).flip());
            if (e.pixels() != null) Fingerprint.update(data, e.pixels());
        }
        java.security.MessageDigest init = Fingerprint.sha256();
        StringBuilder shapes = new StringBuilder();
        for (var e : params.entrySet()) {
            shapes.append(e.getKey()).append(java.util.Arrays.toString(e.getValue().shape())).append(';');
            Fingerprint.update(init, e.getValue());
        }
        Fingerprint.Builder f = Fingerprint.builder()
                .put("examples", examples.size() + " samples, " + Fingerprint.hex(data))
                .put("epochs", cfg.epochs()).put("batch", cfg.batchSize()).put("grad-accumulation", cfg.gradAccumulation())
                .put("lr", cfg.learningRate()).put("weight-decay", cfg.weightDecay()).put("warmup-ratio", cfg.warmupRatio())
                .put("max-grad-norm", cfg.maxGradNorm()).put("seed", cfg.seed())
                .put("trainable", params.size() + " tensors, " + Fingerprint.hex(digestOf(shapes.toString())))
                .put("initial-values", Fingerprint.hex(init));
        if (!groups.isEmpty()) {
            StringBuilder g = new StringBuilder();
            groups.forEach((names, lr) -> g.append(new java.util.TreeSet<>(names)).append(" lr ").append(lr).append(';'));
            f.put("parameter-groups", g.toString());
        }
        identity.forEach(f::put);
        return f.build();
    }

    private static java.security.MessageDigest digestOf(String s) {
        java.security.MessageDigest md = Fingerprint.sha256();
        md.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return md;
    }

    /**
     * Gives the trainable tensors {@code names} a peak learning rate of their own (a PyTorch param group: the same
     * warm-up and cosine schedule multiply it), e.g. LLaVA's projector at 2e-5 beside LoRA at 2e-4. Part of the run's
     * fingerprint. Returns this trainer.
     */
    public Trainer parameterGroup(java.util.Set<String> names, double learningRate) {
        for (String n : names) if (!params.containsKey(n)) throw new IllegalArgumentException("parameter group: no trainable tensor " + n);
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw new IllegalArgumentException("parameter group learning rate must be positive, got " + learningRate);
        groups.put(java.util.Set.copyOf(names), learningRate);
        return this;
    }

    /**
     * Adds entries to the run's fingerprint (e.g. the base model, which LoRA training never differentiates): a
     * resume whose entries differ is refused. Returns this trainer.
     */
    public Trainer identify(java.util.Map<String, String> entries) {
        identity.putAll(entries);
        return this;
    }

    /** Forward + backward of one micro-batch; adds its gradients to acc; returns its loss (0 if nothing supervised). */
    private double microStep(List<TrainingExample> examples, int[] batch, GradientAccumulator acc) {
        TrainingStep.Result r = objective.run(examples, batch);
        if (r.supervisedTokens() == 0) return 0;                        // no supervised token in this batch: no step
        if (!Double.isFinite(r.loss())) {
            List<String> names = new ArrayList<>();
            for (int i : batch) names.add(examples.get(i).sampleId() == null ? "#" + examples.get(i).sampleIndex() : examples.get(i).sampleId());
            throw new NonFiniteLossException("loss is " + r.loss() + " for the batch of samples " + names);
        }
        acc.add(r.gradients());
        r.gradients().values().forEach(Tensor::close);
        return r.loss();
    }
}
