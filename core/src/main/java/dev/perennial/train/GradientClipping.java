/*
 * Gradient clipping by global L2 norm (Pascanu et al., "On the difficulty of training recurrent neural
 * networks", ICML 2013), with the semantics of torch.nn.utils.clip_grad_norm_(norm_type=2,
 * error_if_nonfinite=True):
 *
 *   norm = sqrt(Σ over all gradients of Σ g²)
 *   coef = maxNorm / (norm + 1e-6);   if coef < 1, every gradient is multiplied by coef in place
 *
 * (PyTorch multiplies by min(coef, 1) unconditionally, which is the same.) The sums of squares and the scaling
 * are the backend's FusedOptimizer kernels: accumulated in double, in fixed blocks summed in order, so the norm
 * does not depend on the thread count; each element is scaled in double and rounded once. A NaN or Inf
 * element makes its gradient's sum non-finite: that is a NonFiniteGradientException naming the parameters,
 * thrown before anything is scaled.
 */
package dev.perennial.train;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gradient clipping by global L2 norm with the semantics of {@code torch.nn.utils.clip_grad_norm_}: scales the
 * gradients in place by {@code maxNorm / (norm + 1e-6)} when that is below 1 and returns the norm before clipping; a
 * NaN or Inf element is a {@code NonFiniteGradientException}, thrown before anything is scaled.
 * <p>Stateless; its static methods are safe to call from several threads on distinct gradient maps.
 */
public final class GradientClipping {
    /** Added to the norm before dividing, as in PyTorch. */
    static final double EPSILON = 1e-6;

    private GradientClipping() {}

    /**
     * Scales {@code grads} in place so that their global L2 norm is at most about {@code maxNorm} (> 0; infinity
     * never clips) and returns the norm before clipping. On the CPU backend.
     * @throws NonFiniteGradientException if any gradient contains NaN or Inf (nothing is scaled then)
     */
    public static double clipByGlobalNorm(Map<String, Tensor> grads, double maxNorm) {
        return clipByGlobalNorm(new CpuBackend(), grads, maxNorm);
    }

    /**
     * As above, with the sums of squares and the scaling run by {@code be} (the gradients' backend): on a device
     * the gradients stay there and only the per-gradient sums (one double each) come to the host.
     */
    public static double clipByGlobalNorm(Backend be, Map<String, Tensor> grads, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max norm must be > 0, got " + maxNorm);
        grads.forEach((name, g) -> FloatTensors.checkWritable("gradient of '" + name + "'", g));
        FusedOptimizer kernels = FusedOptimizer.OP.on(be);
        List<String> names = new ArrayList<>(grads.keySet());
        double[] sums = kernels.sumsOfSquares(new ArrayList<>(grads.values()));
        double sumOfSquares = 0;
        List<String> nonFinite = new ArrayList<>();
        for (int i = 0; i < sums.length; i++) {
            if (!Double.isFinite(sums[i])) nonFinite.add(names.get(i));
            sumOfSquares += sums[i];
        }
        if (!nonFinite.isEmpty()) throw new NonFiniteGradientException(nonFinite);
        double norm = Math.sqrt(sumOfSquares);
        double coef = maxNorm / (norm + EPSILON);
        if (coef < 1) kernels.scaleInPlace(new ArrayList<>(grads.values()), coef);
        return norm;
    }
}
