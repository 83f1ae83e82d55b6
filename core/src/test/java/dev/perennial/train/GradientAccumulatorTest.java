/*
 * Gradient accumulation: the mean of k micro-batch gradients equals the big-batch gradient. The gradients
 * are those of least squares, loss_j = ½(w·x_j − y_j)², ∇ = (w·x_j − y_j)·x_j, written out in the test for
 * 12 samples: one batch of 12 versus three micro-batches of 4.
 */
package dev.perennial.train;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradientAccumulatorTest {
    private static final int DIM = 5;

    /** Mean least-squares gradient over samples [from, to). */
    private static Tensor meanGradient(double[] w, double[][] x, double[] y, int from, int to) {
        float[] g = new float[DIM];
        for (int d = 0; d < DIM; d++) {
            double sum = 0;
            for (int j = from; j < to; j++) {
                double residual = -y[j];
                for (int k = 0; k < DIM; k++) residual += w[k] * x[j][k];
                sum += residual * x[j][d];
            }
            g[d] = (float) (sum / (to - from));
        }
        return Tensor.of(g, DIM);
    }

    @Test
    void kMicroBatchesGiveTheBigBatchGradient() {
        Random r = new Random(7);
        double[] w = r.doubles(DIM, -1, 1).toArray();
        double[][] x = new double[12][];
        for (int j = 0; j < 12; j++) x[j] = r.doubles(DIM, -1, 1).toArray();
        double[] y = r.doubles(12, -1, 1).toArray();

        GradientAccumulator acc = new GradientAccumulator();
        for (int m = 0; m < 3; m++) acc.add(Map.of("w", meanGradient(w, x, y, 4 * m, 4 * m + 4)));
        assertEquals(3, acc.microBatches());
        Map<String, Tensor> mean = acc.takeMean();
        assertArrayEquals(meanGradient(w, x, y, 0, 12).toFloatArray(), mean.get("w").toFloatArray(), 1e-6f);
        assertEquals(0, acc.microBatches());
    }

    @Test
    void aParameterMissingFromAMicroBatchCountsAsZeroThere() {
        GradientAccumulator acc = new GradientAccumulator();
        acc.add(Map.of("a", Tensor.of(new float[]{1f, 2f}, 2)));
        acc.add(Map.of("a", Tensor.of(new float[]{3f, 4f}, 2), "b", Tensor.of(new float[]{2f}, 1)));
        Map<String, Tensor> mean = acc.takeMean();
        assertArrayEquals(new float[]{2f, 3f}, mean.get("a").toFloatArray());
        assertArrayEquals(new float[]{1f}, mean.get("b").toFloatArray());
    }

    @Test
    void theInputIsNotRetainedAndANewWindowStartsEmpty() {
        GradientAccumulator acc = new GradientAccumulator();
        Tensor g = Tensor.of(new float[]{1f}, 1);
        acc.add(Map.of("a", g));
        g.setFloat(100f, 0);
        assertEquals(1f, acc.takeMean().get("a").getFloat(0));
        acc.add(Map.of("a", Tensor.of(new float[]{5f}, 1)));
        assertEquals(5f, acc.takeMean().get("a").getFloat(0));
    }

    @Test
    void misShapedGradientsAndAnEmptyWindowAreErrors() {
        GradientAccumulator acc = new GradientAccumulator();
        assertThrows(IllegalStateException.class, acc::takeMean);
        acc.add(Map.of("a", Tensor.of(new float[]{1f, 2f}, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> acc.add(Map.of("a", Tensor.of(new float[]{1f, 2f}, 1, 2))));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        assertEquals(1, acc.microBatches());
    }
}
