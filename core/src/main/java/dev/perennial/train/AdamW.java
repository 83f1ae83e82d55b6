/*
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) with the semantics of
 * torch.optim.AdamW (amsgrad=False, maximize=False), per element at step t of that parameter:
 *
 *   p   ← p · (1 − lr·λ)                          decoupled weight decay, before the Adam update
 *   m   ← β1·m + (1 − β1)·g                       exp_avg
 *   v   ← β2·v + (1 − β2)·g²                      exp_avg_sq
 *   p   ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 *
 * ε is added after dividing √v by the second bias correction, exactly where PyTorch's _single_tensor_adamw adds
 * it (denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps), which is the paper's √v̂ + ε.
 * Defaults are PyTorch's: betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
 *
 * State is float32 like PyTorch's; each element is computed in double, the moments are rounded to float32 when
 * stored and the update uses the stored values, so a run resumed from exported state continues bit-identically.
 * The update is the backend's FusedOptimizer.adamw (a parallel loop on the CPU, one kernel launch per parameter
 * on a CUDA device), so on a device the moments live beside the parameters and are never copied.
 * PyTorch rounds after every tensor op instead, so results agree with it to about one float32 ulp, not bitwise.
 */
package dev.perennial.train;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;

/**
 * AdamW with the semantics of {@code torch.optim.AdamW}: decoupled weight decay, then the bias-corrected Adam update of
 * float32 parameters in place, with float32 moments ({@code exp_avg}, {@code exp_avg_sq}) per parameter on the
 * optimizer's backend. Build it with {@code builder()}; defaults are PyTorch's (betas 0.9 and 0.999, eps 1e-8, weight
 * decay 0.01).
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its state, step counts and
 * learning rate change without synchronization. Its {@code Builder} is not thread-safe either.
 */
public final class AdamW extends ElementwiseOptimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    private AdamW(Builder b) {
        super(b.learningRate, List.of("exp_avg", "exp_avg_sq"), b.backend);
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    void update(Tensor param, Tensor grad, Tensor[] slots, long step, double lr) {
        FusedOptimizer.AdamWStep s = new FusedOptimizer.AdamWStep(lr, beta1, beta2, eps, weightDecay, step);
        FusedOptimizer.OP.on(backend()).adamw(param, grad, slots[0], slots[1], s);
    }

    /** Builder: setLearningRate is required, the opt* values default to PyTorch's. */
    public static final class Builder {
        private double learningRate = Double.NaN;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 1e-2;
        private Backend backend;

        private Builder() {}

        /** The backend that keeps the moments and runs the update (default: the CPU); the parameters' backend. */
        public Builder optBackend(Backend backend) {
            this.backend = backend;
            return this;
        }

        public Builder setLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder optBetas(double beta1, double beta2) {
            this.beta1 = Hyperparameters.inUnitInterval("beta1", beta1);
            this.beta2 = Hyperparameters.inUnitInterval("beta2", beta2);
            return this;
        }

        public Builder optEps(double eps) {
            this.eps = Hyperparameters.nonNegative("eps", eps);
            return this;
        }

        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = Hyperparameters.nonNegative("weight decay", weightDecay);
            return this;
        }

        public AdamW build() {
            Hyperparameters.required("setLearningRate", learningRate);
            return new AdamW(this);
        }
    }
}
