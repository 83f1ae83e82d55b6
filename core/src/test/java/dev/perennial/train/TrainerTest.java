/*
 * The training loop on the tiny LLaVA with LoRA (trainer issue, "Done when"): the loss falls by a large factor on
 * a small generated dataset, the saved adapter reloads to the same outputs, a run stopped after k steps and
 * resumed from its checkpoint ends bit-identical to an uninterrupted run, and a non-finite loss stops the run
 * naming the batch.
 */
package dev.perennial.train;

import dev.perennial.data.TrainingExample;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    static final Backend BE = new CpuBackend();
    static final LoraConfig LORA = LoraConfig.llm(4, 16, 0.1f);

    @TempDir
    Path tmp;

    static Path golden(String name) throws Exception {
        return Path.of(TrainerTest.class.getResource("/golden").toURI()).resolve(name);
    }

    /** 12 samples: BOS, image, a random question; the answer is always the same 5 tokens then EOS. */
    static List<TrainingExample> dataset() throws Exception {
        Tensor px = Npy.read(golden("golden-tiny-llava-hf").resolve("pixel_values.npy")).squeeze(0);
        Random r = new Random(4);
        List<TrainingExample> ex = new ArrayList<>();
        long[] answer = {50, 61, 72, 83, 94, 2};
        for (int i = 0; i < 12; i++) {
            int q = 3 + r.nextInt(6);
            long[] ids = new long[2 + q + answer.length], labels = new long[ids.length];
            ids[0] = 1;
            ids[1] = 300;
            for (int j = 0; j < q; j++) ids[2 + j] = 3 + r.nextInt(290);
            System.arraycopy(answer, 0, ids, 2 + q, answer.length);
            Arrays.fill(labels, -100);
            System.arraycopy(answer, 0, labels, 2 + q, answer.length);
            ex.add(new TrainingExample(i, "s" + i, ids, labels, px));
        }
        return ex;
    }

    private record Run(LlavaModel model, Map<String, LoraAdapter> adapters, Trainer.Result result) {}

    private Run run(TrainConfig cfg, Path checkpoints, boolean resume) throws Exception {
        LlavaModel m = LlavaModel.load(golden("tiny-llava-hf"));
        Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LORA, 11);
        Trainer t = new Trainer(m, BE, Lora.parameters(adapters), null, adapters.values(), cfg);
        return new Run(m, adapters, t.train(dataset(), checkpoints, resume, null));
    }

    @Test
    void loraTrainingDrivesTheLossDownAndTheAdapterReloads() throws Exception {
        TrainConfig cfg = TrainConfig.defaults().withEpochs(10).withBatchSize(4).withLearningRate(1e-2).withSeed(3);
        Run r = run(cfg, null, false);
        List<Double> losses = r.result().losses();
        assertEquals(30, losses.size());
        double first = losses.get(0), last = losses.get(losses.size() - 1);
        assertTrue(last < first / 4, "loss " + first + " -> " + last);

        List<TrainingExample> data = dataset();
        List<long[]> ids = List.of(data.get(0).inputIds());
        Tensor pixels = data.get(0).pixels().unsqueeze(0);
        Lora.save(tmp.resolve("adapter"), r.adapters(), LORA);
        float[] trained = r.model().forward(BE, ids, pixels, null).logits().toFloatArray();
        r.model().close();
        try (LlavaModel fresh = LlavaModel.load(golden("tiny-llava-hf"))) {
            Lora.load(tmp.resolve("adapter"), fresh.linears(), 0);
            assertArrayEquals(trained, fresh.forward(BE, ids, pixels, null).logits().toFloatArray());
        }
    }

    @Test
    void resumeIsBitIdentical() throws Exception {
        TrainConfig cfg = TrainConfig.defaults().withEpochs(3).withBatchSize(4).withLearningRate(5e-3).withSeed(9).withCheckpointEvery(2);
        Run whole = run(cfg, null, false);
        Path cps = tmp.resolve("checkpoints");
        Run first = run(cfg.withMaxSteps(5), cps, false);
        assertEquals(5, first.result().lastStep());
        first.model().close();
        Run rest = run(cfg, cps, true);
        assertEquals(5, rest.result().firstStep());
        assertEquals(9, rest.result().lastStep());
        Map<String, Tensor> a = Lora.parameters(whole.adapters()), b = Lora.parameters(rest.adapters());
        for (var e : a.entrySet()) assertArrayEquals(e.getValue().toFloatArray(), b.get(e.getKey()).toFloatArray(), e.getKey());
        assertEquals(whole.result().losses().subList(5, 9), rest.result().losses());
        whole.model().close();
        rest.model().close();
    }

    @Test
    void nonFiniteLossNamesTheBatch() throws Exception {
        try (LlavaModel m = LlavaModel.load(golden("tiny-llava-hf"))) {
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), LORA, 1);
            LoraAdapter any = adapters.values().iterator().next();
            for (int i = 0; i < any.b().numel(); i++) any.b().storage().setFloat(i, Float.NaN);
            Trainer t = new Trainer(m, BE, Lora.parameters(adapters), null, adapters.values(), TrainConfig.defaults());
            Trainer.NonFiniteLossException e = assertThrows(Trainer.NonFiniteLossException.class, () -> t.train(dataset(), null, false, null));
            assertTrue(e.getMessage().matches(".*samples \\[s\\d+, s\\d+, s\\d+, s\\d+].*"), e.getMessage());
        }
    }
}
