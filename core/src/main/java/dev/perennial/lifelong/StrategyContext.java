/*
 * What a strategy is built from in a lifelong run: a fresh model session, the run's shared settings, its work
 * folder, the task sequence and the run's training samples of every step (replay and multi-task look back at
 * earlier steps; ADAPT-∞ maps a pool member back to its sample).
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;

import java.nio.file.Path;
import java.util.List;

/**
 * What a strategy is built from in a lifelong run: a fresh {@code ModelSession}, the run's shared {@code RunSettings},
 * its working folder, the task sequence and each step's training samples; {@code stepOf} finds the step of a task by
 * name.
 * <p>A value carrier: its components are shared, not copied (the task list, and a session that is not thread-safe); use
 * it on the thread that builds the strategy.
 */
public record StrategyContext(ModelSession session, RunSettings common, Path work, List<Task> tasks, TrainingSamples samples) {
    /** The training samples of a step, as the run drew them (the same for every strategy). */
    @FunctionalInterface
    public interface TrainingSamples {
        List<LlavaSample> of(int step);
    }

    /** The step of the task named {@code task}. */
    public int stepOf(String task) {
        for (int i = 0; i < tasks.size(); i++) if (tasks.get(i).name().equals(task)) return i;
        throw new IllegalArgumentException("no task " + task);
    }
}
