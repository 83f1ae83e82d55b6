/*
 * Stochastic gradient descent with momentum, torch.optim.SGD semantics with dampening 0 (maximize=False):
 *
 *   d ← g + λ·p                                   weight decay is an L2 term added to the gradient (coupled)
 *   b ← μ·b + d                                   momentum_buffer (only when μ > 0)
 *   d ← d + μ·b  (nesterov)   or   d ← b          (only when μ > 0)
 *   p ← p − lr·d
 *
 * (Sutskever et al., "On the importance of initialization and momentum in deep learning", ICML 2013, in
 * PyTorch's formulation, where lr multiplies the velocity rather than the gradient.) PyTorch creates the buffer
 * as a copy of the first d; the zero-initialised buffer gives exactly that (μ·0 + d). Nesterov needs μ > 0, as
 * in PyTorch. Element values are computed in double and the buffer is stored as float32.
 */
package dev.perennial.train;

import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * Stochastic gradient descent with momentum, with the semantics of {@code torch.optim.SGD} (dampening 0): coupled L2
 * weight decay, an optional float32 momentum buffer per parameter and optional Nesterov momentum, updating float32
 * parameters in place on the host. Build it with {@code builder()}; momentum and weight decay default to 0.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its state, step counts and
 * learning rate change without synchronization. Its {@code Builder} is not thread-safe either.
 */
public final class SGD extends ElementwiseOptimizer {
    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;

    private SGD(Builder b) {
        super(b.learningRate, b.momentum > 0 ? List.of("momentum_buffer") : List.of(), null);
        this.momentum = b.momentum;
        this.weightDecay = b.weightDecay;
        this.nesterov = b.nesterov;
    }

    public static Builder builder() { return new Builder(); }

    /** Rough cost of one element's update in element-operations, for Parallel's split decision. */
    private static final long COST_PER_ELEMENT = 8;

    /** On the host (SGD has no device kernel): a parallel loop over the elements. */
    @Override
    void update(Tensor param, Tensor grad, Tensor[] state, long step, double lr) {
        FloatBuffer p = FloatTensors.write("parameter", param), g = FloatTensors.read("gradient", grad);
        FloatBuffer[] slots = new FloatBuffer[state.length];
        for (int i = 0; i < slots.length; i++) slots[i] = FloatTensors.write("momentum buffer", state[i]);
        Parallel.forRows((int) param.numel(), COST_PER_ELEMENT, (start, end) -> update(p, g, slots, start, end, lr));
    }

    private void update(FloatBuffer param, FloatBuffer grad, FloatBuffer[] slots, int start, int end, double lr) {
        for (int i = start; i < end; i++) {
            double p = param.get(i);
            double d = grad.get(i) + weightDecay * p;
            if (momentum > 0) {
                float b = (float) (momentum * slots[0].get(i) + d);
                slots[0].put(i, b);
                d = nesterov ? d + momentum * b : b;
            }
            param.put(i, (float) (p - lr * d));
        }
    }

    /** Builder: setLearningRate is required; momentum, weight decay default to 0 and nesterov to false. */
    public static final class Builder {
        private double learningRate = Double.NaN;
        private double momentum;
        private double weightDecay;
        private boolean nesterov;

        private Builder() {}

        public Builder setLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder optMomentum(double momentum) {
            this.momentum = Hyperparameters.nonNegative("momentum", momentum);
            return this;
        }

        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = Hyperparameters.nonNegative("weight decay", weightDecay);
            return this;
        }

        public Builder optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public SGD build() {
            Hyperparameters.required("setLearningRate", learningRate);
            if (nesterov && momentum == 0) throw new IllegalStateException("Nesterov momentum requires a momentum > 0");
            return new SGD(this);
        }
    }
}
