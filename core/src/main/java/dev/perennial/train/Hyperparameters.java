/*
 * Range checks for optimiser hyperparameters, with the bounds torch.optim enforces (lr, eps, weight decay,
 * momentum >= 0; betas in [0, 1)), so a bad value fails at construction with its name rather than as NaN weights.
 */
package dev.perennial.train;

final class Hyperparameters {
    private Hyperparameters() {}

    static double nonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        return v;
    }

    static double inUnitInterval(String name, double v) {
        if (!(v >= 0 && v < 1)) throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
        return v;
    }

    /** A builder value without a default: NaN means {@code setter} was never called. */
    static void required(String setter, double v) {
        if (Double.isNaN(v)) throw new IllegalStateException(setter + " is required");
    }
}
