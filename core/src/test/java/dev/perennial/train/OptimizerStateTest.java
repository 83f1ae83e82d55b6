/*
 * Optimiser state as a checkpoint: 3 steps, state written to a safetensors file and read back into a new
 * optimiser, then 2 more steps in both must give bit-identical parameters (one parameter skips a step, so
 * per-parameter step counts must survive too). loadState must name every missing, unexpected or mis-shaped
 * entry and leave the optimiser unchanged when it refuses.
 */
package dev.perennial.train;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerStateTest {
    @TempDir
    Path dir;

    private static Tensor random(Random r, int... shape) {
        float[] v = new float[shape.length == 1 ? shape[0] : shape[0] * shape[1]];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> tensors) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, t.contiguous().to(t.dtype())));
        return out;
    }

    /** Gradients of step s: both parameters, except "b" at step 1. */
    private static Map<String, Tensor> grads(int s) {
        Random r = new Random(100 + s);
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("w", random(r, 2, 3));
        if (s != 1) g.put("b", random(r, 3));
        return g;
    }

    private void roundTrip(Supplier<Optimizer> factory) throws IOException {
        Random r = new Random(1);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", random(r, 2, 3));
        params.put("b", random(r, 3));
        Optimizer first = factory.get();
        for (int s = 0; s < 3; s++) first.step(params, grads(s));

        Path file = dir.resolve("optimizer.safetensors");
        SafetensorsWriter.write(file, first.state(), Map.of());
        Optimizer resumed = factory.get();
        try (TensorSource source = TensorSource.open(file)) {
            Map<String, Tensor> saved = new LinkedHashMap<>();
            for (String name : source.names()) saved.put(name, source.tensor(name));
            resumed.loadState(saved);
        }
        Map<String, Tensor> resumedParams = copy(params);
        assertEquals(3, resumed.stepCount());

        for (int s = 3; s < 5; s++) {
            first.step(params, grads(s));
            resumed.step(resumedParams, grads(s));
        }
        assertEquals(5, resumed.stepCount());
        for (String name : params.keySet()) {
            assertArrayEquals(params.get(name).toFloatArray(), resumedParams.get(name).toFloatArray(), name);
        }
        assertEquals(4, resumed.state().get("step/b").toLongArray()[0]);
    }

    @Test
    void adamWResumesBitIdentically() throws IOException {
        roundTrip(() -> AdamW.builder().setLearningRate(1e-2).optWeightDecay(0.05).build());
    }

    @Test
    void sgdResumesBitIdentically() throws IOException {
        roundTrip(() -> SGD.builder().setLearningRate(1e-2).optMomentum(0.9).optNesterov(true).optWeightDecay(1e-3).build());
    }

    private static Optimizer steppedOnce() {
        Optimizer opt = AdamW.builder().setLearningRate(1e-2).build();
        opt.step(Map.of("w", Tensor.zeros(2, 3)), Map.of("w", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3)));
        return opt;
    }

    private static String rejection(Optimizer opt, Map<String, Tensor> state) {
        Map<String, Tensor> before = opt.state();
        String message = assertThrows(IllegalArgumentException.class, () -> opt.loadState(state)).getMessage();
        Map<String, Tensor> after = opt.state();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, t) -> assertArrayEquals(t.toDoubleArray(), after.get(k).toDoubleArray(), 0, k));
        return message;
    }

    @Test
    void loadStateNamesMissingUnexpectedAndMisShapedEntries() {
        Optimizer opt = steppedOnce();
        Map<String, Tensor> state = opt.state();
        state.remove("exp_avg_sq/w");
        state.remove("step");
        state.put("momentum_buffer/w", Tensor.zeros(2, 3));
        state.put("exp_avg/v", Tensor.zeros(4));
        state.put("exp_avg_sq/v", Tensor.zeros(5));
        state.put("step/v", Tensor.ofLongs(new long[]{1}));
        String message = rejection(opt, state);
        for (String expected : new String[]{"missing 'exp_avg_sq/w'", "missing 'step'",
                "unexpected entry 'momentum_buffer/w'", "'exp_avg_sq/v' has shape [5], 'exp_avg/v' has [4]"}) {
            assertTrue(message.contains(expected), expected + " in: " + message);
        }
    }

    @Test
    void loadStateChecksStepCounts() {
        Optimizer opt = steppedOnce();
        Map<String, Tensor> state = opt.state();
        state.put("step/w", Tensor.ofLongs(new long[]{2}));
        assertTrue(rejection(opt, state).contains("'step/w' = 2 is outside 1..1"));
        state.put("step/w", Tensor.scalar(0.5f));
        assertTrue(rejection(opt, state).contains("'step/w' = 0.5 is not a step count"));
        state.put("step/w", Tensor.scalar(1f));          // PyTorch stores steps as float32 scalars
        opt.loadState(state);
        assertEquals(1, opt.stepCount());
    }

    @Test
    void stateThatDoesNotFitTheParameterIsRejectedAtTheNextStep() {
        Optimizer opt = steppedOnce();
        Tensor w = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.step(Map.of("w", w), Map.of("w", Tensor.zeros(6))));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, w.toFloatArray());
    }

    @Test
    void exportedStateIsACopy() {
        Optimizer opt = steppedOnce();
        opt.state().get("exp_avg/w").setFloat(99f, 0, 0);
        assertEquals(0.1f, opt.state().get("exp_avg/w").getFloat(0, 0), 1e-7f);
    }
}
