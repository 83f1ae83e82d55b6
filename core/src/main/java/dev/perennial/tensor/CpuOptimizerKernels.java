/*
 * The optimizer kernels on the host (train.FusedOptimizer's fallback): the AdamW update and the per-tensor sum of squares of gradient clipping, split over
 * the cores with Parallel. Every element's result is the same whichever range it falls in, and the sums are
 * taken in fixed blocks added in order, so results do not depend on the thread count. ReferenceBackend runs the
 * same formulas serially (`serial = true`) for ReferenceBackend; OptimizerKernelsTest compares both with the CUDA kernels
 * (optimizer.cu) on the emulated device.
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * The host optimizer kernels: the AdamW update in place on contiguous float32 tensors (parameter, gradient and both
 * moments of equal size), per-tensor sums of squares in double for gradient clipping, and in-place scaling; split over
 * the cores by Parallel (or run serially), with results that do not depend on the thread count.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state), on tensors that
 * no other thread uses meanwhile, since the updates write them in place.
 */
public final class CpuOptimizerKernels {
    /** Elements per block of sumsOfSquares. */
    public static final int SQUARES_BLOCK = 1 << 15;

    /** Rough cost of one element's AdamW update in element-operations, for Parallel's split decision. */
    private static final long ADAMW_COST = 16;

    private CpuOptimizerKernels() {}

    /**
     * One AdamW update in place (train.FusedOptimizer.adamw's formula): decay = 1 − lr·λ, stepSize = lr/(1 − β1^t),
     * bc2 = √(1 − β2^t), each element in double, m and v rounded to float32 when stored.
     */
    public static void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double beta1, double beta2,
                             double eps, double decay, double stepSize, double bc2, boolean serial) {
        int n = checkSame(param, grad, expAvg, expAvgSq);
        FloatBuffer p = dense(param), g = dense(grad), m = dense(expAvg), v = dense(expAvgSq);
        int po = param.offset(), go = grad.offset(), mo = expAvg.offset(), vo = expAvgSq.offset();
        Parallel.RowRange body = (start, end) -> {
            for (int i = start; i < end; i++) {
                double gi = g.get(go + i);
                float mi = (float) (beta1 * m.get(mo + i) + (1 - beta1) * gi);
                float vi = (float) (beta2 * v.get(vo + i) + (1 - beta2) * gi * gi);
                m.put(mo + i, mi);
                v.put(vo + i, vi);
                double pi = p.get(po + i) * decay;
                p.put(po + i, (float) (pi - stepSize * mi / (Math.sqrt(vi) / bc2 + eps)));
            }
        };
        if (serial) body.run(0, n);
        else Parallel.forRows(n, ADAMW_COST, body);
    }

    /** Σ x² per tensor in double, in blocks of SQUARES_BLOCK added in order. */
    public static double[] sumsOfSquares(List<Tensor> xs, boolean serial) {
        double[] out = new double[xs.size()];
        for (int t = 0; t < out.length; t++) {
            Tensor x = xs.get(t);
            FloatBuffer b = dense(x);
            int n = (int) x.numel(), off = x.offset(), block = SQUARES_BLOCK;
            double[] partial = new double[(n + block - 1) / block];
            Parallel.RowRange body = (first, last) -> {
                for (int k = first; k < last; k++) {
                    double sum = 0;
                    for (int i = k * block, end = Math.min(n, i + block); i < end; i++) {
                        double v = b.get(off + i);
                        sum += v * v;
                    }
                    partial[k] = sum;
                }
            };
            if (serial) body.run(0, partial.length);
            else Parallel.forRows(partial.length, block, body);
            double total = 0;
            for (double sum : partial) total += sum;
            out[t] = total;
        }
        return out;
    }

    /** x ← float32(x · factor), in double, in place. */
    public static void scaleInPlace(List<Tensor> xs, double factor, boolean serial) {
        for (Tensor x : xs) {
            FloatBuffer b = dense(x);
            int off = x.offset();
            Parallel.RowRange body = (start, end) -> {
                for (int i = start; i < end; i++) b.put(off + i, (float) (b.get(off + i) * factor));
            };
            if (serial) body.run(0, (int) x.numel());
            else Parallel.forRows((int) x.numel(), 1, body);
        }
    }

    private static int checkSame(Tensor param, Tensor... others) {
        for (Tensor t : others) {
            if (t.numel() != param.numel()) {
                throw new IllegalArgumentException("AdamW operands differ in size: " + param + " and " + t);
            }
        }
        return (int) param.numel();
    }

    private static FloatBuffer dense(Tensor t) {
        if (t.dtype() != DType.F32 || !t.isContiguous()) throw new IllegalArgumentException("optimizer kernels need contiguous F32 tensors, got " + t);
        return t.storage().floats();
    }
}
