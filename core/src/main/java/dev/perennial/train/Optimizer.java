/*
 * An optimiser: updates named float32 parameters in place from gradients of the same names.
 *
 * Parameters and gradients are Maps keyed by parameter name (the autograd package hands gradients back that
 * way), so the optimiser is not bound to a model object and its state can be written next to the weights in a
 * safetensors checkpoint. One learning rate applies to every parameter unless a parameter group has its own (PyTorch's
 * param groups, e.g. LLaVA's projector at a tenth of the LoRA rate); a LearningRateSchedule sets them before each step. state()/loadState() are the checkpoint form of everything the
 * next update depends on besides the hyperparameters given at construction, so that resuming from a checkpoint
 * continues bit-identically.
 */
package dev.perennial.train;

import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * An optimizer: {@code step} updates named float32 parameters in place from gradients of the same names, validating
 * everything first, with one learning rate for all but the parameters given a group rate of their own; {@code state} and
 * {@code loadState} are the checkpoint form of
 * everything the next update depends on, so a resumed run continues bit-identically.
 * <p>Thread-safety is the implementation's; the two implementations, {@link AdamW} and {@link SGD}, are not thread-safe
 * (unsynchronized per-parameter state and step counts).
 */
public interface Optimizer {

    /**
     * Updates every parameter that has a gradient, in place. Parameters without a gradient entry are skipped
     * (their state does not advance, as in PyTorch when {@code p.grad is None}). Everything is validated before
     * any parameter changes: a gradient without a parameter, a gradient whose shape differs from its parameter's,
     * or a tensor that is not float32 and contiguous (parameters also writable) is an
     * IllegalArgumentException naming it.
     */
    void step(Map<String, Tensor> params, Map<String, Tensor> grads);

    /** Number of step() calls so far (restored by loadState). */
    int stepCount();

    /** The learning rate of every parameter without a group rate of its own. */
    void setLearningRate(double learningRate);

    double learningRate();

    /**
     * Gives {@code parameters} (by name) a learning rate of their own, a PyTorch param group with its own lr; a later
     * call for the same names replaces it. Group rates are hyperparameters, not state: set them before each step as
     * the schedule changes them.
     */
    void setLearningRate(java.util.Collection<String> parameters, double learningRate);

    /** The learning rate {@code parameter}'s next update uses. */
    double learningRate(String parameter);

    /** A copy of the optimiser state as flat named tensors, ready for SafetensorsWriter. */
    Map<String, Tensor> state();

    /**
     * Replaces the state with a copy of {@code state} (as produced by state(), possibly read back from a file).
     * Missing, unexpected or mis-shaped entries are an IllegalArgumentException naming each of them; the
     * current state is then left unchanged.
     */
    void loadState(Map<String, Tensor> state);
}
