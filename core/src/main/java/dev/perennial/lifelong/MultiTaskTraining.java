/*
 * The multi-task upper bound: every step trains on `budget` samples drawn uniformly from the
 * union of all tasks seen so far, i.e. unlimited memory of earlier data — what a continual method without rehearsal
 * tries to approach. Same per-step budget as the other strategies.
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * The multi-task upper bound: every step trains the LoRA adapters on {@code budget} samples drawn uniformly from the
 * training samples of every task seen so far (unlimited memory of earlier data), the same per-step budget as the other
 * strategies.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it trains the mutable LoRA
 * adapters it inherits from {@code LoraStrategy}.
 */
public final class MultiTaskTraining extends LoraStrategy {
    /** The plug-in: "multitask", no settings of its own; step t trains on every step's samples up to t. */
    public static final StrategyType<Void> TYPE = StrategyType.withoutSettings("multitask", c -> {
        RunSettings r = c.common();
        return withRunSettings(new MultiTaskTraining(c.session(), r.lora(), r.train(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens(),
                step -> c.samples().of(step).stream().map(s -> new Chosen(c.tasks().get(step), s)).toList()), r);
    });

    private final IntFunction<List<Chosen>> earlier;

    /** @param earlier step -> that earlier task's training samples (reloaded on demand) */
    public MultiTaskTraining(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens,
                             IntFunction<List<Chosen>> earlier) {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens);
        this.earlier = earlier;
    }

    @Override public String name() { return "multitask"; }

    @Override
    protected List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        List<Chosen> all = new ArrayList<>();
        for (int s = 0; s < step; s++) all.addAll(earlier.apply(s));
        for (LlavaSample x : train) all.add(new Chosen(task, x));
        return sample(all, budget, rng);
    }
}
