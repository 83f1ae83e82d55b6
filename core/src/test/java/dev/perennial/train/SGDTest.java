/*
 * SGD with momentum (torch.optim.SGD, dampening 0): two steps checked against numbers worked out by hand from
 * PyTorch's documented recurrence, for heavy-ball momentum, Nesterov momentum and coupled weight decay.
 * p0 = 1, g1 = 0.5, g2 = −0.25, lr = 0.1, μ = 0.9.
 */
package dev.perennial.train;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SGDTest {

    private static float[] twoSteps(SGD opt) {
        Tensor w = Tensor.of(new float[]{1f}, 1);
        opt.step(Map.of("w", w), Map.of("w", Tensor.of(new float[]{0.5f}, 1)));
        float p1 = w.getFloat(0);
        opt.step(Map.of("w", w), Map.of("w", Tensor.of(new float[]{-0.25f}, 1)));
        return new float[]{p1, w.getFloat(0)};
    }

    @Test
    void momentum() {
        // b1 = 0.5, p1 = 1 − 0.1·0.5 = 0.95; b2 = 0.9·0.5 − 0.25 = 0.2, p2 = 0.95 − 0.1·0.2 = 0.93
        float[] p = twoSteps(SGD.builder().setLearningRate(0.1).optMomentum(0.9).build());
        assertEquals(0.95, p[0], 1e-6);
        assertEquals(0.93, p[1], 1e-6);
    }

    @Test
    void nesterovMomentum() {
        // b1 = 0.5, d1 = 0.5 + 0.9·0.5 = 0.95, p1 = 0.905; b2 = 0.2, d2 = −0.25 + 0.9·0.2 = −0.07, p2 = 0.912
        float[] p = twoSteps(SGD.builder().setLearningRate(0.1).optMomentum(0.9).optNesterov(true).build());
        assertEquals(0.905, p[0], 1e-6);
        assertEquals(0.912, p[1], 1e-6);
    }

    @Test
    void momentumWithWeightDecay() {
        // d1 = 0.5 + 0.1·1 = 0.6 = b1, p1 = 0.94; d2 = −0.25 + 0.1·0.94 = −0.156, b2 = 0.54 − 0.156 = 0.384,
        // p2 = 0.94 − 0.0384 = 0.9016
        float[] p = twoSteps(SGD.builder().setLearningRate(0.1).optMomentum(0.9).optWeightDecay(0.1).build());
        assertEquals(0.94, p[0], 1e-6);
        assertEquals(0.9016, p[1], 1e-6);
    }

    @Test
    void plainSgdKeepsNoMomentumBuffer() {
        SGD opt = SGD.builder().setLearningRate(0.1).build();
        float[] p = twoSteps(opt);
        assertEquals(0.95, p[0], 1e-6);
        assertEquals(0.975, p[1], 1e-6);
        assertEquals(Set.of("step", "step/w"), opt.state().keySet());
    }

    @Test
    void nesterovWithoutMomentumIsRefused() {
        assertThrows(IllegalStateException.class, () -> SGD.builder().setLearningRate(0.1).optNesterov(true).build());
    }
}
