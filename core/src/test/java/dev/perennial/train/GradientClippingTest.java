/*
 * Global-norm clipping: the norm spans all gradients, scaling happens only above the threshold and by
 * maxNorm/(norm + 1e-6), non-finite gradients are refused by name before anything is scaled.
 */
package dev.perennial.train;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradientClippingTest {

    /** a = [3, 0], b = [4]: global norm 5. */
    private static Map<String, Tensor> grads(float a0) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("a", Tensor.of(new float[]{a0, 0f}, 2));
        g.put("b", Tensor.of(new float[]{4f}, 1));
        return g;
    }

    @Test
    void aboveTheThresholdAllGradientsAreScaledByOneFactor() {
        Map<String, Tensor> g = grads(3f);
        assertEquals(5.0, GradientClipping.clipByGlobalNorm(g, 1.0), 0);
        double coef = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new float[]{(float) (3 * coef), 0f}, g.get("a").toFloatArray());
        assertArrayEquals(new float[]{(float) (4 * coef)}, g.get("b").toFloatArray());
    }

    @Test
    void belowTheThresholdNothingChanges() {
        Map<String, Tensor> g = grads(3f);
        assertEquals(5.0, GradientClipping.clipByGlobalNorm(g, 10.0), 0);
        assertArrayEquals(new float[]{3f, 0f}, g.get("a").toFloatArray());
        assertArrayEquals(new float[]{4f}, g.get("b").toFloatArray());
        assertEquals(5.0, GradientClipping.clipByGlobalNorm(g, Double.POSITIVE_INFINITY), 0);
    }

    @Test
    void nanOrInfIsAnExceptionNamingTheParameterAndNothingIsScaled() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Map<String, Tensor> g = grads(bad);
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                    () -> GradientClipping.clipByGlobalNorm(g, 1.0));
            assertEquals(List.of("a"), e.parameters());
            assertArrayEquals(new float[]{4f}, g.get("b").toFloatArray());
        }
    }

    @Test
    void largeGradientsTakeTheBlockedParallelPath() {
        int n = 1_000_001;
        float[] half = new float[n];
        Arrays.fill(half, 0.5f);
        Map<String, Tensor> g = Map.of("w", Tensor.of(half, n));
        double norm = GradientClipping.clipByGlobalNorm(g, 1.0);
        assertEquals(Math.sqrt(n * 0.25), norm, 1e-9);
        float expected = (float) (0.5 * (1.0 / (norm + 1e-6)));
        float[] out = g.get("w").toFloatArray();
        for (int i = 0; i < n; i += 9973) assertEquals(expected, out[i], "element " + i);
        assertEquals(expected, out[n - 1]);
    }

    @Test
    void theThresholdMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(grads(3f), 0));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(grads(3f), Double.NaN));
    }
}
