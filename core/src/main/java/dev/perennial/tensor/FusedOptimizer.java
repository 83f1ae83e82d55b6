/*
 * A backend that runs the optimizer's element-wise update and the gradient norm with its own kernels, so that
 * parameters, gradients and optimizer state stay in its memory for a whole training step (docs/architecture.md,
 * "Device residency"). Every backend of the project implements it: ReferenceBackend serially, CpuBackend in
 * parallel (CpuOptimizerKernels), CudaBackend with the optimizer.cu kernels; OptimizerKernelsTest compares them.
 */
package dev.perennial.tensor;

import java.util.List;

public interface FusedOptimizer {

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
    int SQUARES_BLOCK = 1 << 15;
}
