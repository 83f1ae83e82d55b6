/*
 * Gradient clipping by global L2 norm (Pascanu et al., "On the difficulty of training recurrent neural
 * networks", ICML 2013), with the semantics of torch.nn.utils.clip_grad_norm_(norm_type=2,
 * error_if_nonfinite=True):
 *
 *   norm = sqrt(Σ over all gradients of Σ g²)
 *   coef = maxNorm / (norm + 1e-6);   if coef < 1, every gradient is multiplied by coef in place
 *
 * (PyTorch multiplies by min(coef, 1) unconditionally, which is the same.) The sum of squares is accumulated
 * in double, in fixed blocks summed in order, so the norm does not depend on the thread count. A NaN or Inf
 * element makes its gradient's sum non-finite: that is a NonFiniteGradientException naming the parameters,
 * thrown before anything is scaled.
 */
package dev.perennial.train;

import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class GradientClipping {
    /** Added to the norm before dividing, as in PyTorch. */
    static final double EPSILON = 1e-6;
    private static final int BLOCK = 1 << 15;

    private GradientClipping() {}

    /**
     * Scales {@code grads} in place so that their global L2 norm is at most about {@code maxNorm} (> 0; infinity
     * never clips) and returns the norm before clipping.
     * @throws NonFiniteGradientException if any gradient contains NaN or Inf (nothing is scaled then)
     */
    public static double clipByGlobalNorm(Map<String, Tensor> grads, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max norm must be > 0, got " + maxNorm);
        Map<String, FloatBuffer> buffers = new LinkedHashMap<>();
        grads.forEach((name, g) -> buffers.put(name, FloatTensors.write("gradient of '" + name + "'", g)));
        double sumOfSquares = 0;
        List<String> nonFinite = new ArrayList<>();
        for (Map.Entry<String, FloatBuffer> e : buffers.entrySet()) {
            double s = sumOfSquares(e.getValue());
            if (!Double.isFinite(s)) nonFinite.add(e.getKey());
            sumOfSquares += s;
        }
        if (!nonFinite.isEmpty()) throw new NonFiniteGradientException(nonFinite);
        double norm = Math.sqrt(sumOfSquares);
        double coef = maxNorm / (norm + EPSILON);
        if (coef < 1) {
            for (FloatBuffer b : buffers.values()) {
                Parallel.forRows(b.capacity(), 1, (start, end) -> {
                    for (int i = start; i < end; i++) b.put(i, (float) (b.get(i) * coef));
                });
            }
        }
        return norm;
    }

    /** Σ x² over the buffer in double: blocks in parallel, block sums added in block order. */
    private static double sumOfSquares(FloatBuffer b) {
        int n = b.capacity();
        double[] partial = new double[(n + BLOCK - 1) / BLOCK];
        Parallel.forRows(partial.length, BLOCK, (first, last) -> {
            for (int k = first; k < last; k++) {
                double s = 0;
                for (int i = k * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
                    double x = b.get(i);
                    s += x * x;
                }
                partial[k] = s;
            }
        });
        double total = 0;
        for (double s : partial) total += s;
        return total;
    }
}
