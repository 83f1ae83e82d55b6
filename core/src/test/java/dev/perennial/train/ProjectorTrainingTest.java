/*
 * Training the multimodal projector beside LoRA, as LLaVA's LoRA recipe does (docs/methods/adapt-inf.md §1.3), on the
 * tiny LLaVA: the projector's gradients (weights and biases of both layers, through the language model's loss) agree
 * with central finite differences (the tolerance pattern of the prompt key-loss check: 2e-3 + 2e-2·|fd| at h = 1e-2,
 * float32 losses); a Trainer with the projector in its own parameter group moves it (at lr 2e-5 beside LoRA's 1e-2)
 * while the checkpoint file stays untouched; non_lora_trainables.safetensors reloads to the same outputs; a run
 * stopped and resumed from its checkpoint ends bit-identical to an uninterrupted one, projector included.
 */
package dev.perennial.train;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ProjectorTrainingTest {
    static final Backend BE = new CpuBackend();
    static final LoraConfig LORA = LoraConfig.llm(4, 16, 0f);

    @TempDir
    Path tmp;

    private static double loss(LlavaModel m, TrainingExample e) {
        try (TensorScope ignored = TensorScope.open()) {
            return m.forward(BE, List.of(e.inputIds()), e.pixels().unsqueeze(0), List.of(e.labels())).loss();
        }
    }

    @Test
    void projectorGradientsMatchFiniteDifferences() throws Exception {
        TrainingExample e = TrainerTest.dataset().get(0);
        try (LlavaModel m = LlavaModel.load(TrainerTest.golden("tiny-llava-hf"))) {
            Map<String, Tensor> p = m.projector().makeTrainable(BE);
            assertEquals(List.of("multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_1.bias",
                    "multi_modal_projector.linear_2.weight", "multi_modal_projector.linear_2.bias"), List.copyOf(p.keySet()));
            Map<String, Tensor> grads = TrainingStep.run(m, BE, p, null, List.of(e.inputIds()), e.pixels().unsqueeze(0), List.of(e.labels())).gradients();
            double h = 1e-2;
            int checked = 0;
            for (var entry : p.entrySet()) {
                Tensor t = entry.getValue();
                float[] analytic = grads.get(entry.getKey()).toFloatArray();
                float largest = 0;
                for (float g : analytic) largest = Math.max(largest, Math.abs(g));
                assertTrue(largest > 1e-4, entry.getKey() + " gets a gradient");
                int n = (int) t.numel();
                for (int i : new int[]{0, n / 3, n - 1}) {
                    float orig = t.storage().getFloat(i);
                    t.storage().setFloat(i, (float) (orig + h));
                    double plus = loss(m, e);
                    t.storage().setFloat(i, (float) (orig - h));
                    double minus = loss(m, e);
                    t.storage().setFloat(i, orig);
                    double fd = (plus - minus) / (2 * h);
                    assertEquals(fd, analytic[i], 2e-3 + 2e-2 * Math.abs(fd), "d loss / d " + entry.getKey() + "[" + i + "]");
                    checked++;
                }
            }
            assertEquals(12, checked);
        }
    }

    private record Run(LlavaModel model, Map<String, Tensor> params, Trainer.Result result) {}

    private static Run run(TrainConfig cfg, Path checkpoints, boolean resume) throws Exception {
        LlavaModel m = LlavaModel.load(TrainerTest.golden("tiny-llava-hf"));
        Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LORA, 11);
        Map<String, Tensor> projector = m.projector().makeTrainable(BE);
        Map<String, Tensor> params = new LinkedHashMap<>(Lora.parameters(adapters));
        params.putAll(projector);
        Trainer t = new Trainer(m, BE, params, null, adapters.values(), cfg).parameterGroup(projector.keySet(), 2e-5);
        return new Run(m, params, t.train(TrainerTest.dataset(), checkpoints, resume, null));
    }

    @Test
    void theProjectorTrainsInItsOwnGroupSavesAndResumes() throws Exception {
        Path checkpoint = TrainerTest.golden("tiny-llava-hf").resolve("model.safetensors");
        byte[] before = Files.readAllBytes(checkpoint);
        Map<String, float[]> initial = new LinkedHashMap<>();
        try (LlavaModel m = LlavaModel.load(TrainerTest.golden("tiny-llava-hf"))) {
            m.projector().parameters().forEach((k, v) -> initial.put(k, v.toFloatArray()));
            assertTrue(m.projector().parameters().values().stream().allMatch(v -> v.storage().isReadOnly()), "mapped from the checkpoint");
        }
        TrainConfig cfg = TrainConfig.defaults().withEpochs(3).withBatchSize(4).withLearningRate(1e-2).withSeed(9).withCheckpointEvery(2);
        Run whole = run(cfg, null, false);
        for (var e : initial.entrySet()) {
            float[] now = whole.params().get(e.getKey()).toFloatArray();
            double moved = 0;
            for (int i = 0; i < now.length; i++) moved = Math.max(moved, Math.abs(now[i] - e.getValue()[i]));
            assertTrue(moved > 0 && moved <= 9 * 2e-5 * 1.5, e.getKey() + " moved by " + moved + ", at most about steps × lr 2e-5 (Adam's step ≈ lr)");
        }
        assertArrayEquals(before, Files.readAllBytes(checkpoint), "the checkpoint file is never written");

        // saved beside the adapter and loaded again: the same outputs
        TrainingExample e = TrainerTest.dataset().get(0);
        float[] trained = whole.model().forward(BE, List.of(e.inputIds()), e.pixels().unsqueeze(0), null).logits().toFloatArray();
        NonLoraTrainables.save(tmp.resolve("adapter"), whole.model());
        try (LlavaModel fresh = LlavaModel.load(TrainerTest.golden("tiny-llava-hf"))) {
            Map<String, LoraAdapter> ad = Lora.attach(fresh.linears(), LORA, 11);
            for (var a : Lora.parameters(ad).entrySet()) a.getValue().copyFrom(whole.params().get(a.getKey()));
            assertFalse(java.util.Arrays.equals(trained, fresh.forward(BE, List.of(e.inputIds()), e.pixels().unsqueeze(0), null).logits().toFloatArray()),
                    "without the trained projector the outputs differ");
            Map<String, Tensor> loaded = NonLoraTrainables.load(tmp.resolve("adapter"), fresh, BE);
            assertEquals(DType.F32, loaded.get("multi_modal_projector.linear_1.weight").dtype());
            assertArrayEquals(trained, fresh.forward(BE, List.of(e.inputIds()), e.pixels().unsqueeze(0), null).logits().toFloatArray(), 0f);
        }

        Path cps = tmp.resolve("checkpoints");
        Run first = run(cfg.withMaxSteps(5), cps, false);
        first.model().close();
        Run rest = run(cfg, cps, true);
        assertEquals(5, rest.result().firstStep());
        for (var p : whole.params().entrySet()) assertArrayEquals(p.getValue().toFloatArray(), rest.params().get(p.getKey()).toFloatArray(), 0f, p.getKey());
        assertEquals(whole.result().losses().subList(5, 9), rest.result().losses());
        whole.model().close();
        rest.model().close();
    }
}
