/*
 * Learning-rate schedules as a multiplier of the base learning rate per optimiser step, with the semantics of
 * HF transformers' LambdaLR schedules (optimization.py):
 *
 *   warm-up (step < W):  step / max(1, W)                                       (all three schedules)
 *   then, progress = (step − W) / (T − W), clamped to 1:
 *     constant:  1                                         get_constant_schedule_with_warmup
 *     linear:    floor + (1 − floor) · (1 − progress)      get_linear_schedule_with_warmup (floor 0)
 *     cosine:    floor + (1 − floor) · ½(1 + cos(π·progress))
 *                                                          get_cosine_schedule_with_warmup (num_cycles 0.5,
 *                                                          floor 0), get_cosine_with_min_lr_schedule_with_warmup
 *                                                          (floor = min_lr_rate)
 *
 * The k-th optimiser step (k counted from 0, i.e. Optimizer.stepCount() before the step) uses multiplier(k),
 * as with HF's scheduler.step() after each optimizer.step(); so the first step of a warm-up runs at lr 0.
 * Departure: past T the multiplier stays at the floor; HF's cosine would rise again (cos beyond π).
 */
package dev.perennial.train;

import java.util.function.DoubleUnaryOperator;

/**
 * A learning-rate schedule: {@code multiplier(step)} is the factor applied to the base learning rate at optimizer step
 * {@code step} (counted from 0), as HF transformers' schedules; the factories give a linear warm-up followed by a
 * constant, or a linear or cosine decay to a floor (a fraction of the base rate) at {@code totalSteps}.
 * <p>Thread-safety is the implementation's; the schedules its factory methods make capture only numbers and are
 * immutable, safe to share between threads.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /** The factor applied to the base learning rate at optimiser step {@code step} (>= 0). */
    double multiplier(long step);

    /** Linear warm-up over {@code warmupSteps}, then 1. */
    static LearningRateSchedule constantWithWarmup(long warmupSteps) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        return step -> step < checkedStep(step, warmupSteps) ? (double) step / Math.max(1, warmupSteps) : 1.0;
    }

    /** Linear warm-up, then linear decay to {@code floor} (a fraction of the base rate) at {@code totalSteps}. */
    static LearningRateSchedule linearWithWarmup(long warmupSteps, long totalSteps, double floor) {
        return decaying(warmupSteps, totalSteps, floor, progress -> 1 - progress);
    }

    /** Linear warm-up, then half a cosine down to {@code floor} (a fraction of the base rate) at {@code totalSteps}. */
    static LearningRateSchedule cosineWithWarmup(long warmupSteps, long totalSteps, double floor) {
        return decaying(warmupSteps, totalSteps, floor, progress -> 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /** Warm-up, then floor + (1 − floor)·shape(progress), with shape going from 1 at progress 0 to 0 at 1. */
    private static LearningRateSchedule decaying(long warmupSteps, long totalSteps, double floor,
                                                 DoubleUnaryOperator shape) {
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("need 0 <= warm-up steps < total steps, got " + warmupSteps + " and "
                    + totalSteps);
        }
        if (!(floor >= 0 && floor <= 1)) throw new IllegalArgumentException("floor must be in [0, 1], got " + floor);
        return step -> {
            if (step < checkedStep(step, warmupSteps)) return (double) step / Math.max(1, warmupSteps);
            double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            return floor + (1 - floor) * shape.applyAsDouble(progress);
        };
    }

    /** Returns {@code warmupSteps} after rejecting a negative step. */
    private static long checkedStep(long step, long warmupSteps) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        return warmupSteps;
    }
}
