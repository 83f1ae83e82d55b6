/*
 * Sequential fine-tuning: each step trains the one set of LoRA adapters on `budget` samples of the
 * new task only. Nothing protects earlier tasks, so this is the forgetting baseline every method is measured against.
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Sequential fine-tuning, the forgetting baseline: each step trains the one set of LoRA adapters on {@code budget}
 * samples of the new task only, and nothing protects earlier tasks.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it trains the mutable LoRA
 * adapters it inherits from {@code LoraStrategy}.
 */
public final class SequentialFineTuning extends LoraStrategy {
    /** The plug-in: "sequential", no settings of its own. */
    public static final StrategyType<Void> TYPE = StrategyType.withoutSettings("sequential", c -> {
        RunSettings r = c.common();
        return new SequentialFineTuning(c.session(), r.lora(), r.train(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens());
    });

    public SequentialFineTuning(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens) {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens);
    }

    @Override public String name() { return "sequential"; }

    @Override
    protected List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        return sample(train, budget, rng).stream().map(s -> new Chosen(task, s)).toList();
    }
}
