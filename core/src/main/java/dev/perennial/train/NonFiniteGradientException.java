/*
 * Thrown when gradients contain NaN or ±Inf (e.g. an overflowing loss), before they reach an optimiser:
 * one such element would turn every weight it touches into NaN. PyTorch's clip_grad_norm_ raises for the same
 * reason when error_if_nonfinite=True. Carries the names of the affected parameters so the cause can be traced;
 * a trainer may catch it and skip the step instead.
 */
package dev.perennial.train;

import java.util.List;

/**
 * Thrown when gradients contain NaN or Inf, before they reach an optimizer (e.g. by {@code GradientClipping});
 * {@code parameters()} names the affected parameters. A trainer may catch it and skip the step.
 * <p>Immutable once thrown: its parameter names are a final, unmodifiable copy.
 */
public final class NonFiniteGradientException extends ArithmeticException {
    private final List<String> parameters;

    public NonFiniteGradientException(List<String> parameters) {
        super("non-finite gradients (NaN or Inf) for " + String.join(", ", parameters));
        this.parameters = List.copyOf(parameters);
    }

    /** Names of the parameters whose gradients contain NaN or Inf. */
    public List<String> parameters() { return parameters; }
}
