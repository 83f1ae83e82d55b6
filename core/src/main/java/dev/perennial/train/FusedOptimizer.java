/*
 * The optimizer's element-wise update and the gradient norm as an Op (docs/architecture.md, "Ops with a home"), so
 * that parameters, gradients and optimizer state stay in a backend's memory for a whole training step
 * (docs/architecture.md, "Device residency"). On host backends the fallback runs tensor.CpuOptimizerKernels
 * (serially on ReferenceBackend, in parallel elsewhere); CudaBackend registers the optimizer.cu kernels.
 * OptimizerKernelsTest compares the three.
 */
package dev.perennial.train;

import dev.perennial.tensor.CpuOptimizerKernels;
import dev.perennial.tensor.Op;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;

import java.util.List;

/**
 * The optimizer's element-wise kernels as a backend op: an AdamW update in place of F32 parameters and moments,
 * per-tensor sums of squares (in double, in fixed blocks, so results do not depend on the thread count) and in-place
 * scaling; backends may register kernels, host backends get {@code CpuOptimizerKernels}.
 * <p>Thread-safety is the implementation's; the host one keeps no state, but the update and the scaling write their
 * tensors in place, so concurrent calls need disjoint tensors. {@code AdamWStep} is immutable.
 */
public interface FusedOptimizer {
    /** The op: the backend's kernels, else the host loops (one thread on ReferenceBackend, the reference). */
    Op<FusedOptimizer> OP = Op.declare("optimizer", FusedOptimizer.class, be -> host(be instanceof ReferenceBackend));

    /** The host implementation: CpuOptimizerKernels, serial or parallel. */
    static FusedOptimizer host(boolean serial) {
        return new FusedOptimizer() {
            @Override
            public void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWStep s) {
                CpuOptimizerKernels.adamw(param, grad, expAvg, expAvgSq, s.beta1(), s.beta2(), s.eps(), s.decay(),
                        s.stepSize(), s.biasCorrection2Sqrt(), serial);
            }

            @Override
            public double[] sumsOfSquares(List<Tensor> xs) { return CpuOptimizerKernels.sumsOfSquares(xs, serial); }

            @Override
            public void scaleInPlace(List<Tensor> xs, double factor) { CpuOptimizerKernels.scaleInPlace(xs, factor, serial); }
        };
    }

    /**
     * The scalars of one AdamW update at per-parameter step {@code step} (1 for the first): learning rate lr,
     * betas, eps and the decoupled weight decay λ, with torch.optim.AdamW's formula (see train.AdamW):
     * p ← p·(1 − lr·λ); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
     * p ← p − lr/(1 − β1^step) · m / (√v / √(1 − β2^step) + eps).
     */
    record AdamWStep(double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        /** lr·(1 − λ·lr) form's factor 1 − lr·λ. */
        public double decay() { return 1 - lr * weightDecay; }

        /** lr / (1 − β1^step). */
        public double stepSize() { return lr / (1 - Math.pow(beta1, step)); }

        /** √(1 − β2^step). */
        public double biasCorrection2Sqrt() { return Math.sqrt(1 - Math.pow(beta2, step)); }
    }

    /**
     * One AdamW update in place of param, expAvg (m) and expAvgSq (v), all F32, contiguous and of grad's element
     * count. Each element is computed in double; m and v are rounded to float32 when stored and the update uses
     * the stored values (so a run resumed from saved state continues exactly).
     */
    void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWStep step);

    /**
     * Σ x² of each tensor (F32, contiguous), accumulated in double in blocks of {@link #SQUARES_BLOCK} elements,
     * the block sums added in block order: the result does not depend on the thread count. A NaN or Inf element
     * makes its tensor's sum non-finite.
     */
    double[] sumsOfSquares(List<Tensor> xs);

    /** x ← float32(x · factor), the product taken in double, for each tensor (F32, contiguous), in place. */
    void scaleInPlace(List<Tensor> xs, double factor);

    /** Elements per block of sumsOfSquares. */
    int SQUARES_BLOCK = CpuOptimizerKernels.SQUARES_BLOCK;
}
