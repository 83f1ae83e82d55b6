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
 */
package dev.perennial.train;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

public final class GradientAccumulator {
    private Map<String, Tensor> sums = new LinkedHashMap<>();
    private int microBatches;

    /**
     * Adds one micro-batch's gradients (float32, contiguous; not retained). A gradient whose shape differs from
     * earlier ones of the same name is an IllegalArgumentException, raised before anything is added.
     */
    public void add(Map<String, Tensor> grads) {
        grads.forEach((name, g) -> {
            FloatTensors.read("gradient of '" + name + "'", g);
            Tensor sum = sums.get(name);
            if (sum != null && !Arrays.equals(sum.shape(), g.shape())) {
                throw new IllegalArgumentException("gradient of '" + name + "' has shape " + Arrays.toString(g.shape())
                        + ", earlier micro-batches gave " + Arrays.toString(sum.shape()));
            }
        });
        grads.forEach((name, g) -> {
            Tensor sum = sums.get(name);
            if (sum == null) {
                sums.put(name, g.to(DType.F32));
                return;
            }
            FloatBuffer s = FloatTensors.write(name, sum), x = FloatTensors.read(name, g);
            Parallel.forRows(s.capacity(), 1, (start, end) -> {
                for (int i = start; i < end; i++) s.put(i, s.get(i) + x.get(i));
            });
        });
        microBatches++;
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
        int k = microBatches;
        sums.forEach((name, sum) -> {
            FloatBuffer s = FloatTensors.write(name, sum);
            Parallel.forRows(s.capacity(), 1, (start, end) -> {
                for (int i = start; i < end; i++) s.put(i, (float) ((double) s.get(i) / k));
            });
        });
        Map<String, Tensor> mean = sums;
        sums = new LinkedHashMap<>();
        microBatches = 0;
        return mean;
    }
}
