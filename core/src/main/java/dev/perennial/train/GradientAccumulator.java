/*
 * Gradient accumulation: k micro-batches stand in for one batch k times larger (the `gradient_accumulation_steps`
 * of HF Trainer and LLaVA's training scripts), so a large effective batch fits in memory.
 *
 * add() sums each micro-batch's gradients into float32 buffers owned by the accumulator (as PyTorch sums into
 * .grad); takeMean() hands back sum / k, where k is the number of add() calls, and starts a new window. When
 * every micro-batch gradient is the mean loss gradient over equally many samples, the result is the gradient of
 * the mean loss over all k·n samples, i.e. what the big batch gives (to float rounding). The HF recipe divides
 * each micro-batch loss by k before backward instead; the result is the same mean. A parameter missing from a
 * micro-batch counts as a zero gradient there (PyTorch leaves .grad untouched when a parameter is unused).
 *
 * Sums and the division are backend ops (add, div), so on a device the gradients stay in its memory. Dividing in
 * float32 gives exactly the float rounding of the quotient in double (double rounding is harmless for division).
 */
package dev.perennial.train;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gradient accumulation: {@code add} sums each micro-batch's float32 gradients into buffers on a backend, and
 * {@code takeMean} returns the sums divided by the number of micro-batches, as tensors the caller owns, and starts a
 * new window; a gradient missing from a micro-batch counts as zero.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its sums, divisor and micro-batch
 * count change without synchronization.
 */
public final class GradientAccumulator {
    private final Backend be;
    private Map<String, Tensor> sums = new LinkedHashMap<>();
    private int microBatches;

    /** An accumulator on the CPU backend. */
    public GradientAccumulator() { this(new CpuBackend()); }

    /** An accumulator whose sums live on {@code be} (the backend that computed the gradients). */
    public GradientAccumulator(Backend be) { this.be = be; }

    /**
     * Adds one micro-batch's gradients (float32, contiguous; not retained). A gradient whose shape differs from
     * earlier ones of the same name is an IllegalArgumentException, raised before anything is added.
     */
    public void add(Map<String, Tensor> grads) {
        grads.forEach((name, g) -> {
            FloatTensors.check("gradient of '" + name + "'", g);
            Tensor sum = sums.get(name);
            if (sum != null && !Arrays.equals(sum.shape(), g.shape())) {
                throw new IllegalArgumentException("gradient of '" + name + "' has shape " + Arrays.toString(g.shape())
                        + ", earlier micro-batches gave " + Arrays.toString(sum.shape()));
            }
        });
        grads.forEach((name, g) -> {
            Tensor sum = sums.get(name);
            sums.put(name, sum == null ? be.scale(g, 1f) : be.add(sum, g));     // x·1 is an exact copy
            if (sum != null) sum.close();
        });
        microBatches++;
    }

    private Tensor divisor;

    /** k as a read-only scalar, made once per accumulator (a device copies it in once). */
    private Tensor divisor(int k) {
        if (divisor == null || divisor.item() != k) divisor = Tensor.scalar(k).frozen();
        return divisor;
    }

    /** Number of micro-batches added since the last takeMean(). */
    public int microBatches() { return microBatches; }

    /**
     * The accumulated gradients divided by microBatches(), as new tensors the caller owns; the accumulator is
     * empty afterwards.
     * @throws IllegalStateException if nothing was added
     */
    public Map<String, Tensor> takeMean() {
        if (microBatches == 0) throw new IllegalStateException("no micro-batch gradients were added");
        if (microBatches > 1) {
            Tensor k = divisor(microBatches);
            sums.replaceAll((name, sum) -> {
                Tensor mean = be.div(sum, k);
                sum.close();
                return mean;
            });
        }
        Map<String, Tensor> mean = sums;
        sums = new LinkedHashMap<>();
        microBatches = 0;
        return mean;
    }
}
