/*
 * Sequential fine-tuning: each step trains LoRA on `budget` samples of the new task only. Nothing protects earlier
 * tasks, so this is the forgetting baseline every method is measured against. By default one set of adapters keeps
 * training across the steps (CoIN's baseline); "merge_between_steps" chains the steps as ADAPT-∞'s loop does (merge the
 * previous step's adapter into the base, train a fresh one; docs/methods/adapt-inf.md §1.3), so the baseline can be
 * compared with ADAPT-∞ under the same protocol, the data choice being the only difference.
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sequential fine-tuning, the forgetting baseline: each step trains LoRA on {@code budget} samples of the new task
 * only, and nothing protects earlier tasks. One set of adapters trains across the steps unless
 * {@code mergeBetweenSteps} merges each step's adapter into the base and trains a fresh one per step.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it trains the mutable LoRA
 * adapters it inherits from {@code LoraStrategy}.
 */
public final class SequentialFineTuning extends LoraStrategy {
    /** Settings ("sequential": {"merge_between_steps"}): whether each step trains a fresh adapter on the merged model. */
    public record Settings(boolean mergeBetweenSteps) {
        /** One adapter across all steps. */
        public static Settings defaults() { return new Settings(false); }
    }

    /** The plug-in: "sequential". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "sequential"; }
        @Override public String settingsKey() { return "sequential"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(java.util.Set.of("merge_between_steps"));
            return new Settings(j.bool("merge_between_steps", Settings.defaults().mergeBetweenSteps()));
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            RunSettings r = c.common();
            return withRunSettings(new SequentialFineTuning(c.session(), r.lora(), r.train(), r.budget(), r.seed(), r.answerBatch(),
                    r.maxNewTokens(), s.mergeBetweenSteps(), c.work()), r);
        }
    };

    /** One adapter across all steps. */
    public SequentialFineTuning(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens) {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens);
    }

    /**
     * @param mergeBetweenSteps merge each step's adapter into the base and train a fresh one per step
     * @param work              the strategy's working folder (merged adapters are kept there when merging)
     */
    public SequentialFineTuning(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens,
                                boolean mergeBetweenSteps, Path work) {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens, mergeBetweenSteps, work);
    }

    @Override public String name() { return "sequential"; }

    @Override
    protected List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        return sample(train, budget, rng).stream().map(s -> new Chosen(task, s)).toList();
    }
}
