/*
 * The LoRA strategies' common part: LoRA adapters on the frozen model's LLM projections, seeded
 * once, trained step after step on the samples the concrete strategy chooses — always exactly `budget` samples (or
 * all there are), so strategies are compared at the same training cost; each step's choice draws from a generator
 * seeded by (seed, step), so a resumed run chooses the same. State: the PEFT adapter folder plus whatever the
 * subclass keeps (saveExtra / restoreExtra).
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;
import dev.perennial.data.TrainingExample;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The common part of the LoRA strategies: LoRA adapters on the frozen model's language-model projections, trained each
 * step on exactly {@code budget} samples (or all there are) that the subclass chooses with a generator seeded by (seed,
 * step). Its state is the PEFT adapter folder plus whatever the subclass saves.
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

    protected LoraStrategy(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens) {
        if (budget < 1) throw new IllegalArgumentException("the per-step budget must be >= 1 sample");
        this.session = session;
        this.lora = lora;
        this.train = train;
        this.budget = budget;
        this.seed = seed;
        this.answerBatch = answerBatch;
        this.maxNewTokens = maxNewTokens;
        this.adapters = Lora.attach(session.model().linears(), lora, seed, session.backend());
    }

    /** The samples step {@code step} trains on (at most budget), given that task's training conversations. */
    protected abstract List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng);

    /** Bookkeeping after the step's training (e.g. a replay buffer adds the task). */
    protected void afterStep(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {}

    @Override
    public StepOutcome learn(int step, Task task, List<LlavaSample> samples) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + step);
        List<Chosen> chosen = choose(step, task, samples, rng);
        List<TrainingExample> examples = new ArrayList<>();
        for (Chosen c : chosen) examples.addAll(session.examples(c.task(), List.of(c.sample())));
        session.requireTrainable(task, examples, chosen.size());
        double first = Double.NaN, last = Double.NaN;
        if (!examples.isEmpty()) {
            TrainConfig cfg = new TrainConfig(train.epochs(), train.batchSize(), train.gradAccumulation(), train.learningRate(),
                    train.weightDecay(), train.warmupRatio(), train.maxGradNorm(), seed + step, train.maxSteps(), 0);
            Trainer.Result r = new Trainer(session.model(), session.backend(), Lora.parameters(adapters), null, adapters.values(), cfg)
                    .train(examples, null, false, null);
            if (!r.losses().isEmpty()) {
                first = r.losses().get(0);
                last = r.losses().get(r.losses().size() - 1);
            }
        }
        afterStep(step, task, samples, rng);
        return new StepOutcome(examples.size(), first, last);
    }

    @Override
    public List<String> answer(Task task, List<TestRecord> records) throws IOException {
        return session.answer(task, records, answerBatch, maxNewTokens, null);
    }

    @Override
    public void save(Path dir) throws IOException {
        Lora.save(dir.resolve("adapter"), adapters, lora);
        saveExtra(dir);
    }

    @Override
    public void restore(Path dir, int step) throws IOException {
        for (var l : session.model().linears().values()) l.setAdapter(null);
        adapters = Lora.load(dir.resolve("adapter"), session.model().linears(), seed);
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
        session.close();
    }
}
