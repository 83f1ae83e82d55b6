/*
 * The LoRA strategies' common part: LoRA adapters on the frozen model's LLM projections, trained step after step on
 * the samples the concrete strategy chooses — always exactly `budget` samples (or all there are), so strategies are
 * compared at the same training cost; each step's choice draws from a generator seeded by (seed, step), so a resumed
 * run chooses the same.
 *
 * Two ways to chain the steps. One adapter trains across all steps (the baselines' default). Or, with
 * mergeBetweenSteps (ADAPT-∞'s loop, docs/methods/adapt-inf.md §1.3), step t first chooses its samples with the current
 * model (base with adapters 0..t−2 merged, plus adapter t−1 attached: ADAPT-∞ scores with it), then merges adapter
 * t−1 into the base (nn.MergedWeights: a float32 overlay of the touched linears, the checkpoint is never written) and
 * trains a fresh adapter t (A from a seed of (seed, t), B = 0, so the step starts from exactly the merged model).
 * Evaluation after step t sees base ⊕ adapters 0..t−1 + adapter t.
 *
 * With trainProjector (LLaVA's LoRA recipe) the multimodal projector trains too, in its own AdamW group at its own peak
 * learning rate; its weights live in the model (a float32 copy of the checkpoint's), so whatever a step taught it is
 * part of the base every later step starts from, merged or not.
 *
 * State: the PEFT adapter folder (the newest adapter, and the projector beside it when it trains:
 * train.NonLoraTrainables), plus whatever the subclass keeps (saveExtra / restoreExtra); with merging also merged.json,
 * the chain of merged steps with a SHA-256 digest of each adapter. The merged adapters themselves are written once,
 * when merged, to the working folder (merged/NNN/, PEFT layout, never rewritten with other bytes), so a step's state
 * does not copy the whole chain; restore() checks every digest and merges the chain again in the same order with the
 * same arithmetic, which rebuilds the merged weights bit for bit.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Fingerprint;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.nn.MergedWeights;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.NonLoraTrainables;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The common part of the LoRA strategies: LoRA adapters on the frozen model's language-model projections, trained each
 * step on exactly {@code budget} samples (or all there are) that the subclass chooses with a generator seeded by (seed,
 * step). Either one adapter trains across all steps, or (merging between steps) each step merges the previous step's
 * adapter into an in-memory float32 copy of the touched base weights and trains a fresh one; {@code trainProjector}
 * trains the projector too, at its own learning rate. Its state is the PEFT adapter folder (with the projector when it
 * trains), the chain of merged adapters (merging only) and whatever the subclass saves.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); training changes the adapters,
 * {@code restore} replaces them, and the model session caches image stores without synchronization.
 */
public abstract class LoraStrategy implements Strategy {
    /** A sample chosen for training: its task and the sample. */
    public record Chosen(Task task, LlavaSample sample) {}

    protected final ModelSession session;
    protected final LoraConfig lora;
    protected final TrainConfig train;
    protected final int budget;
    protected final long seed;
    protected final int answerBatch, maxNewTokens;
    protected Map<String, LoraAdapter> adapters;
    private final Path mergedDir;                                 // null: one adapter across all steps
    private final MergedWeights merged = new MergedWeights();
    private final List<Link> chain = new ArrayList<>();           // the merged adapters, in merge order
    private Map<String, Tensor> projector = Map.of();             // the projector's tensors when it trains
    private double projectorLr;

    /** A merged adapter: the step that trained it and the digest of its adapter_model.safetensors (Fingerprint.fileDigest). */
    private record Link(int step, String digest) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The state file of the merged chain. */
    static final String CHAIN_FILE = "merged.json";

    /** One adapter trains across all steps. */
    protected LoraStrategy(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens) {
        this(session, lora, train, budget, seed, answerBatch, maxNewTokens, false, null);
    }

    /**
     * @param mergeBetweenSteps merge each step's adapter into the base before the next step trains a fresh one (see the
     *                          file comment); false: one adapter across all steps
     * @param work              the strategy's working folder, where merged adapters are kept (merged/NNN/); only read
     *                          when merging
     */
    protected LoraStrategy(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens,
                           boolean mergeBetweenSteps, Path work) {
        if (budget < 1) throw new IllegalArgumentException("the per-step budget must be >= 1 sample");
        if (mergeBetweenSteps && work == null) throw new IllegalArgumentException("merging between steps needs a working folder");
        this.mergedDir = mergeBetweenSteps ? work.resolve("merged") : null;
        this.session = session;
        this.lora = lora;
        this.train = train;
        this.budget = budget;
        this.seed = seed;
        this.answerBatch = answerBatch;
        this.maxNewTokens = maxNewTokens;
        this.adapters = Lora.attach(session.model().linears(), lora, seed, session.backend());
    }

    /**
     * Also trains the multimodal projector (writable float32 copies of its weights, Projector.makeTrainable), in its own
     * AdamW parameter group at peak learning rate {@code lr} on the same schedule. Call before the first step or
     * restore. Returns this strategy.
     */
    public LoraStrategy trainProjector(double lr) {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("the projector's learning rate must be positive, got " + lr);
        projector = session.model().projector().makeTrainable(session.backend());
        projectorLr = lr;
        return this;
    }

    /** {@code strategy}, training the projector too when the run's settings say so. */
    static Strategy withRunSettings(LoraStrategy strategy, RunSettings r) {
        return r.trainProjector() ? strategy.trainProjector(r.projectorLr()) : strategy;
    }

    /** The samples step {@code step} trains on (at most budget), given that task's training conversations. */
    protected abstract List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng);

    /** Bookkeeping after the step's training (e.g. a replay buffer adds the task). */
    protected void afterStep(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {}

    @Override
    public StepOutcome learn(int step, Task task, List<LlavaSample> samples) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + step);
        List<Chosen> chosen = choose(step, task, samples, rng);         // with the current model: its newest adapter attached
        if (mergedDir != null && step > 0) mergeAndStartFresh(step);
        List<TrainingExample> examples = new ArrayList<>();
        for (Chosen c : chosen) examples.addAll(session.examples(c.task(), List.of(c.sample())));
        session.requireTrainable(task, examples, chosen.size());
        double first = Double.NaN, last = Double.NaN;
        if (!examples.isEmpty()) {
            TrainConfig cfg = new TrainConfig(train.epochs(), train.batchSize(), train.gradAccumulation(), train.learningRate(),
                    train.weightDecay(), train.warmupRatio(), train.maxGradNorm(), seed + step, train.maxSteps(), 0);
            Map<String, Tensor> params = new LinkedHashMap<>(Lora.parameters(adapters));
            params.putAll(projector);
            Trainer trainer = new Trainer(session.model(), session.backend(), params, null, adapters.values(), cfg);
            if (!projector.isEmpty()) trainer.parameterGroup(projector.keySet(), projectorLr);
            Trainer.Result r = trainer.train(examples, null, false, null);
            if (!r.losses().isEmpty()) {
                first = r.losses().get(0);
                last = r.losses().get(r.losses().size() - 1);
            }
        }
        afterStep(step, task, samples, rng);
        return new StepOutcome(examples.size(), first, last);
    }

    /**
     * Merges the previous step's adapter into the base (kept first in merged/NNN/, the bytes its step's state holds) and
     * attaches a fresh adapter for {@code step}: A from freshAdapterSeed(step), B = 0.
     */
    private void mergeAndStartFresh(int step) throws IOException {
        int previous = step - 1;
        Path keep = mergedDir.resolve(LifelongRun.stepName(previous));
        Lora.save(keep, adapters, lora);
        chain.add(new Link(previous, Fingerprint.fileDigest(keep.resolve(Lora.WEIGHTS_FILE))));
        Map<String, LoraAdapter> old = adapters;
        merged.merge(session.backend(), session.model().linears());
        free(old);
        adapters = Lora.attach(session.model().linears(), lora, freshAdapterSeed(step), session.backend());
    }

    /**
     * The seed of the fresh adapter of step {@code step} > 0 (step 0's adapter uses the run's seed): the step's
     * generator, seeded by (seed, step), split once, so its draws are not the choice's.
     */
    long freshAdapterSeed(int step) {
        return new SplittableRandom(seed * 1_000_003L + step).split().nextLong();
    }

    private static void free(Map<String, LoraAdapter> adapters) {
        for (LoraAdapter ad : adapters.values()) {
            ad.a().close();
            ad.b().close();
        }
    }

    @Override
    public List<String> answer(Task task, List<TestRecord> records) throws IOException {
        return session.answer(task, records, answerBatch, maxNewTokens, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        Lora.save(dir.resolve("adapter"), adapters, lora);
        if (!projector.isEmpty()) NonLoraTrainables.save(dir.resolve("adapter"), session.model());
        if (mergedDir != null) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode links = o.putArray("merged");
            for (Link l : chain) links.addObject().put("step", l.step()).put("digest", l.digest());
            AtomicFiles.write(dir.resolve(CHAIN_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
        }
        saveExtra(dir);
    }

    @Override
    public void restore(Path dir, int step) throws IOException {
        var linears = session.model().linears();
        for (var l : linears.values()) l.setAdapter(null);
        free(adapters);
        merged.close();                                                  // the checkpoint's weights again
        chain.clear();
        if (mergedDir != null) {
            for (JsonNode l : JSON.readTree(dir.resolve(CHAIN_FILE).toFile()).path("merged")) {
                Link link = new Link(l.path("step").asInt(), l.path("digest").asText());
                Path folder = mergedDir.resolve(LifelongRun.stepName(link.step()));
                Path weights = folder.resolve(Lora.WEIGHTS_FILE);
                if (!Files.isRegularFile(weights) || !Fingerprint.fileDigest(weights).equals(link.digest())) {
                    throw new IOException(folder + ": the adapter of step " + link.step() + " that " + dir.resolve(CHAIN_FILE)
                            + " merged is missing or changed; the merged model cannot be rebuilt");
                }
                Map<String, LoraAdapter> loaded = Lora.load(folder, linears, seed);
                merged.merge(session.backend(), linears);
                free(loaded);
                chain.add(link);
            }
        }
        adapters = Lora.load(dir.resolve("adapter"), linears, seed);
        if (!projector.isEmpty()) projector = NonLoraTrainables.load(dir.resolve("adapter"), session.model(), session.backend());
        restoreExtra(dir, step);
    }

    protected void saveExtra(Path dir) throws IOException {}

    protected void restoreExtra(Path dir, int step) throws IOException {}

    /** k distinct elements of list drawn with rng (all of them, shuffled, when k >= size). */
    protected static <T> List<T> sample(List<T> list, int k, SplittableRandom rng) {
        List<T> copy = new ArrayList<>(list);
        for (int i = copy.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = copy.get(i);
            copy.set(i, copy.get(j));
            copy.set(j, t);
        }
        return copy.subList(0, Math.min(k, copy.size()));
    }

    @Override
    public void close() throws IOException {
        merged.close();
        session.close();
    }
}
