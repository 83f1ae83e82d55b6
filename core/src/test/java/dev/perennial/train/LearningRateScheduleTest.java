/*
 * Schedules at the steps that define them (start, mid warm-up, warm-up end, a quarter and half of the decay,
 * the end, past the end) against closed-form values of HF's lambdas, with and without a floor.
 * Warm-up W = 10, total T = 110, so decay progress = (step − 10) / 100.
 */
package dev.perennial.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LearningRateScheduleTest {
    private static final double TOL = 1e-12;

    @Test
    void cosine() {
        LearningRateSchedule s = LearningRateSchedule.cosineWithWarmup(10, 110, 0);
        assertEquals(0.0, s.multiplier(0), TOL);
        assertEquals(0.5, s.multiplier(5), TOL);
        assertEquals(1.0, s.multiplier(10), TOL);
        assertEquals(0.5 * (1 + Math.sqrt(0.5)), s.multiplier(35), TOL);   // cos(π/4)
        assertEquals(0.5, s.multiplier(60), TOL);
        assertEquals(0.0, s.multiplier(110), TOL);
        assertEquals(0.0, s.multiplier(200), TOL);                         // held, not rising again
    }

    @Test
    void cosineToAFloor() {
        LearningRateSchedule s = LearningRateSchedule.cosineWithWarmup(10, 110, 0.1);
        assertEquals(0.0, s.multiplier(0), TOL);
        assertEquals(1.0, s.multiplier(10), TOL);
        assertEquals(0.1 + 0.9 * 0.5, s.multiplier(60), TOL);
        assertEquals(0.1, s.multiplier(110), TOL);
        assertEquals(0.1, s.multiplier(10_000), TOL);
    }

    @Test
    void linear() {
        LearningRateSchedule s = LearningRateSchedule.linearWithWarmup(10, 110, 0);
        assertEquals(0.0, s.multiplier(0), TOL);
        assertEquals(0.3, s.multiplier(3), TOL);
        assertEquals(1.0, s.multiplier(10), TOL);
        assertEquals(0.75, s.multiplier(35), TOL);
        assertEquals(0.5, s.multiplier(60), TOL);
        assertEquals(0.0, s.multiplier(110), TOL);
        assertEquals(0.0, s.multiplier(111), TOL);
        LearningRateSchedule floored = LearningRateSchedule.linearWithWarmup(10, 110, 0.2);
        assertEquals(0.2 + 0.8 * 0.5, floored.multiplier(60), TOL);
        assertEquals(0.2, floored.multiplier(500), TOL);
    }

    @Test
    void constant() {
        LearningRateSchedule s = LearningRateSchedule.constantWithWarmup(4);
        assertEquals(0.0, s.multiplier(0), TOL);
        assertEquals(0.75, s.multiplier(3), TOL);
        assertEquals(1.0, s.multiplier(4), TOL);
        assertEquals(1.0, s.multiplier(1_000_000), TOL);
    }

    @Test
    void withoutWarmUpTheFirstStepRunsAtTheFullRate() {
        assertEquals(1.0, LearningRateSchedule.constantWithWarmup(0).multiplier(0), TOL);
        assertEquals(1.0, LearningRateSchedule.cosineWithWarmup(0, 50, 0).multiplier(0), TOL);
        assertEquals(0.98, LearningRateSchedule.linearWithWarmup(0, 50, 0).multiplier(1), TOL);
    }

    @Test
    void invalidArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosineWithWarmup(10, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.linearWithWarmup(-1, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosineWithWarmup(0, 10, 1.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constantWithWarmup(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constantWithWarmup(3).multiplier(-1));
    }
}
