/*
 * AdamW against the paper's recurrence written out in double (m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
 * p −= lr·m̂/(√v̂ + ε), decoupled decay p −= lr·λ·p first, as torch.optim.AdamW orders it), plus the effects
 * that distinguish a correct implementation: bias correction at step 1, per-parameter step counts, the
 * parallel path, and validation before any update.
 */
package dev.perennial.train;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdamWTest {
    private static final double LR = 0.1, B1 = 0.9, B2 = 0.999;

    private static AdamW adamW(double weightDecay, double eps) {
        return AdamW.builder().setLearningRate(LR).optBetas(B1, B2).optEps(eps).optWeightDecay(weightDecay).build();
    }

    private static AdamW adamW(double weightDecay) { return adamW(weightDecay, 1e-8); }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1})
    void twoStepsMatchTheFormulasWrittenOutInDouble(double wd) {
        double eps = 1e-3;   // large enough that adding it before the bias correction would show
        float[] p0 = {1.0f, -0.5f, 2.0f};
        float[] g1 = {0.3f, -0.2f, 0.0f};
        float[] g2 = {-0.1f, 0.4f, 0.5f};
        Tensor w = Tensor.of(p0.clone(), 3);
        AdamW opt = adamW(wd, eps);
        opt.step(Map.of("w", w), Map.of("w", Tensor.of(g1, 3)));
        opt.step(Map.of("w", w), Map.of("w", Tensor.of(g2, 3)));

        for (int i = 0; i < 3; i++) {
            double p = p0[i], m = 0, v = 0;
            // step 1
            p = p - LR * wd * p;
            m = B1 * m + (1 - B1) * g1[i];
            v = B2 * v + (1 - B2) * g1[i] * g1[i];
            p = p - LR * (m / (1 - B1)) / (Math.sqrt(v / (1 - B2)) + eps);
            // step 2
            p = p - LR * wd * p;
            m = B1 * m + (1 - B1) * g2[i];
            v = B2 * v + (1 - B2) * g2[i] * g2[i];
            p = p - LR * (m / (1 - B1 * B1)) / (Math.sqrt(v / (1 - B2 * B2)) + eps);
            assertEquals(p, w.getFloat(i), 1e-6, "element " + i + ", weight decay " + wd);
        }
        assertEquals(2, opt.stepCount());
    }

    @Test
    void biasCorrectionMakesTheFirstStepLrTimesTheSignWhateverTheGradientScale() {
        // m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε); uncorrected it would be lr·0.1/√0.001 ≈ 3.16·lr.
        Tensor w = Tensor.of(new float[]{0f, 0f, 0f}, 3);
        adamW(0).step(Map.of("w", w), Map.of("w", Tensor.of(new float[]{1e-3f, -10f, 250f}, 3)));
        assertArrayEquals(new float[]{(float) -LR, (float) LR, (float) -LR}, w.toFloatArray(), 1e-6f);
    }

    @Test
    void aParameterFirstUpdatedLaterGetsTheBiasCorrectionOfItsOwnFirstStep() {
        Tensor early = Tensor.of(new float[]{0f}, 1), late = Tensor.of(new float[]{0f}, 1);
        Map<String, Tensor> params = Map.of("early", early, "late", late);
        AdamW opt = adamW(0);
        opt.step(params, Map.of("early", Tensor.of(new float[]{1f}, 1)));
        assertEquals(0f, late.getFloat(0), "no gradient, no update");
        opt.step(params, Map.of("early", Tensor.of(new float[]{1f}, 1), "late", Tensor.of(new float[]{1f}, 1)));
        assertEquals(-LR, late.getFloat(0), 1e-6);
        Map<String, Tensor> state = opt.state();
        assertEquals(2, state.get("step").toLongArray()[0]);
        assertEquals(2, state.get("step/early").toLongArray()[0]);
        assertEquals(1, state.get("step/late").toLongArray()[0]);
    }

    /**
     * A parameter group with its own rate (PyTorch's param groups; LLaVA trains its projector at 2e-5 beside LoRA at
     * 2e-4): its parameters update exactly as under an optimizer of that rate (decay included), the others at the
     * optimizer's rate, and changing the group's rate between steps (a schedule) is honoured.
     */
    @Test
    void aParameterGroupUpdatesAtItsOwnRate() {
        float[] p0 = {1.0f, -0.5f}, g = {0.3f, -0.2f};
        Tensor main = Tensor.of(p0.clone(), 2), proj = Tensor.of(p0.clone(), 2), alone = Tensor.of(p0.clone(), 2), same = Tensor.of(p0.clone(), 2);
        AdamW grouped = adamW(0.1), reference = AdamW.builder().setLearningRate(0.02).optBetas(B1, B2).optWeightDecay(0.1).build(), plain = adamW(0.1);
        grouped.setLearningRate(java.util.Set.of("proj"), 0.02);
        assertEquals(0.02, grouped.learningRate("proj"));
        assertEquals(LR, grouped.learningRate("main"));
        for (int s = 0; s < 3; s++) {
            if (s == 2) {                                                  // the schedule moves both rates
                grouped.setLearningRate(LR / 2);
                grouped.setLearningRate(java.util.Set.of("proj"), 0.01);
                reference.setLearningRate(0.01);
                plain.setLearningRate(LR / 2);
            }
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("main", main);
            params.put("proj", proj);
            grouped.step(params, Map.of("main", Tensor.of(g, 2), "proj", Tensor.of(g, 2)));
            reference.step(Map.of("proj", alone), Map.of("proj", Tensor.of(g, 2)));
            plain.step(Map.of("main", same), Map.of("main", Tensor.of(g, 2)));
        }
        assertArrayEquals(alone.toFloatArray(), proj.toFloatArray(), 0f, "the group at its own rate");
        assertArrayEquals(same.toFloatArray(), main.toFloatArray(), 0f, "the others at the optimizer's rate");
        assertTrue(Math.abs(main.getFloat(0) - proj.getFloat(0)) > 1e-2, "the two rates differ in effect");
        assertThrows(IllegalArgumentException.class, () -> grouped.setLearningRate(java.util.Set.of("proj"), -1));
    }

    @Test
    void largeTensorsTakeTheParallelPathAndUpdateEveryElementOnce() {
        int n = 200_003;
        float[] ones = new float[n], grads = new float[n];
        Arrays.fill(ones, 1f);
        Arrays.fill(grads, 0.25f);
        Tensor big = Tensor.of(ones, n), small = Tensor.of(new float[]{1f}, 1);
        AdamW a = adamW(0.1), b = adamW(0.1);
        for (int s = 0; s < 3; s++) {
            a.step(Map.of("w", big), Map.of("w", Tensor.of(grads, n)));
            b.step(Map.of("w", small), Map.of("w", Tensor.of(new float[]{0.25f}, 1)));
        }
        float expected = small.getFloat(0);
        float[] out = big.toFloatArray();
        for (int i = 0; i < n; i++) assertEquals(expected, out[i], "element " + i);
    }

    @Test
    void aMisShapedGradientIsRejectedByNameBeforeAnyParameterChanges() {
        Tensor a = Tensor.of(new float[]{1f, 2f}, 2), b = Tensor.of(new float[]{1f, 2f, 3f, 4f}, 2, 2);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("a", a);
        params.put("b", b);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put("a", Tensor.of(new float[]{1f, 1f}, 2));
        grads.put("b", Tensor.of(new float[]{1f, 1f, 1f, 1f}, 4));
        AdamW opt = adamW(0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.step(params, grads));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("[4]"), e.getMessage());
        assertArrayEquals(new float[]{1f, 2f}, a.toFloatArray());
        assertEquals(0, opt.stepCount());
    }

    @Test
    void gradientsWithoutParametersAndNonFloat32TensorsAreRejected() {
        Map<String, Tensor> params = Map.of("w", Tensor.of(new float[]{1f}, 1));
        AdamW opt = adamW(0);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> opt.step(params, Map.of("v", Tensor.of(new float[]{1f}, 1)))).getMessage().contains("'v'"));
        Tensor bf16 = Tensor.of(new float[]{1f}, 1).to(DType.BF16);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> opt.step(params, Map.of("w", bf16))).getMessage().contains("BF16"));
    }

    @Test
    void hyperparametersAreCheckedAtConstruction() {
        assertThrows(IllegalStateException.class, () -> AdamW.builder().build());
        assertThrows(IllegalArgumentException.class, () -> AdamW.builder().optBetas(0.9, 1.0));
        assertThrows(IllegalArgumentException.class, () -> AdamW.builder().optEps(-1));
        assertThrows(IllegalArgumentException.class, () -> AdamW.builder().setLearningRate(-1e-3).build());
    }
}
