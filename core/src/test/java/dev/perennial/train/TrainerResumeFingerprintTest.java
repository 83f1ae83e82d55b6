/*
 * A training checkpoint carries the run's Fingerprint, and a resume with other data or settings is refused with an
 * IOException naming what differs, instead of silently continuing the old run at its old step (with the old schedule,
 * on the new data). On the tiny LLaVA with LoRA (TrainerTest's model and data): a run stopped by max-steps resumes with
 * the same examples and settings (max-steps and the checkpoint interval only say where a run stops, so they may
 * differ); a different epoch count, a dropped or edited example, or another identify() entry is refused, names only
 * that entry, and leaves the checkpoint as it was.
 */
package dev.perennial.train;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerResumeFingerprintTest {
    /** 12 examples, batch 4: 3 steps per epoch, 6 in all; the first run stops after 2. */
    static final TrainConfig CFG = TrainConfig.defaults().withEpochs(2).withBatchSize(4).withLearningRate(5e-3).withSeed(9).withCheckpointEvery(1);
    static final int STOP = 2;

    @TempDir
    Path tmp;
    Path checkpoints;

    /** A fresh model with freshly attached adapters (the same initial values every time) and a trainer over them. */
    private static Trainer.Result train(TrainConfig cfg, List<TrainingExample> data, Path dir, boolean resume, Map<String, String> identity)
            throws Exception {
        try (LlavaModel m = LlavaModel.load(TrainerTest.golden("tiny-llava-hf"))) {
            Map<String, LoraAdapter> adapters = Lora.attach(m.linears(), TrainerTest.LORA, 11);
            Trainer t = new Trainer(m, TrainerTest.BE, Lora.parameters(adapters), null, adapters.values(), cfg).identify(identity);
            return t.train(data, dir, resume, null);
        }
    }

    @BeforeEach
    void interruptedRun() throws Exception {
        checkpoints = tmp.resolve("checkpoints");
        Trainer.Result first = train(CFG.withMaxSteps(STOP), TrainerTest.dataset(), checkpoints, false, Map.of("base-model", "tiny-llava-hf"));
        assertEquals(STOP, first.lastStep());
        TrainingCheckpoint cp = TrainingCheckpoint.loadLatest(checkpoints);
        assertNotNull(cp, "the interrupted run left a checkpoint");
        assertEquals(STOP, cp.step());
        Map<String, String> stored = cp.settings().entries();
        assertEquals("2", stored.get("epochs"), "the checkpoint stores the run's fingerprint: " + stored);
        assertTrue(stored.get("examples").startsWith("12 samples, sha256:"), stored.toString());
        assertEquals("tiny-llava-hf", stored.get("base-model"), "identify() entries are stored too");
        assertFalse(stored.containsKey("max-steps"), "where a run stops does not change its result: " + stored);
    }

    private IOException refusedResume(TrainConfig cfg, List<TrainingExample> data, Map<String, String> identity) throws IOException {
        IOException e = assertThrows(IOException.class, () -> train(cfg, data, checkpoints, true, identity));
        assertTrue(e.getMessage().contains("cannot be resumed"), e.getMessage());
        assertEquals(STOP, TrainingCheckpoint.loadLatest(checkpoints).step(), "a refused resume leaves the checkpoint as it was");
        return e;
    }

    @Test
    void theSameExamplesAndSettingsResume() throws Exception {
        Trainer.Result rest = train(CFG.withCheckpointEvery(0), TrainerTest.dataset(), checkpoints, true, Map.of("base-model", "tiny-llava-hf"));
        assertEquals(STOP, rest.firstStep(), "continues where the checkpoint left off");
        assertEquals(6, rest.lastStep());
        assertEquals(6, TrainingCheckpoint.loadLatest(checkpoints).step());
    }

    @Test
    void anotherEpochCountIsRefusedNamingEpochs() throws Exception {
        IOException e = refusedResume(CFG.withEpochs(3), TrainerTest.dataset(), Map.of("base-model", "tiny-llava-hf"));
        assertTrue(e.getMessage().contains("epochs: 2 before, 3 now"), e.getMessage());
        assertFalse(e.getMessage().contains("examples"), "only what differs is named: " + e.getMessage());
    }

    @Test
    void aDroppedExampleIsRefusedNamingExamples() throws Exception {
        List<TrainingExample> fewer = new ArrayList<>(TrainerTest.dataset());
        fewer.remove(7);
        IOException e = refusedResume(CFG, fewer, Map.of("base-model", "tiny-llava-hf"));
        assertTrue(e.getMessage().contains("examples: 12 samples, sha256:"), e.getMessage());
        assertTrue(e.getMessage().contains("11 samples, sha256:"), e.getMessage());
        assertFalse(e.getMessage().contains("epochs"), "only what differs is named: " + e.getMessage());
    }

    @Test
    void anEditedExampleIsRefusedNamingExamples() throws Exception {
        List<TrainingExample> edited = new ArrayList<>(TrainerTest.dataset());
        TrainingExample x = edited.get(3);
        long[] ids = x.inputIds().clone();
        ids[2] = ids[2] == 5 ? 6 : 5;                                          // one question token differs
        edited.set(3, new TrainingExample(x.sampleIndex(), x.sampleId(), ids, x.labels(), x.pixels()));
        IOException e = refusedResume(CFG, edited, Map.of("base-model", "tiny-llava-hf"));
        assertTrue(e.getMessage().contains("examples: 12 samples, sha256:"), e.getMessage());
        assertFalse(e.getMessage().contains("epochs"), e.getMessage());
    }

    @Test
    void anotherIdentityIsRefusedNamingIt() throws Exception {
        IOException e = refusedResume(CFG, TrainerTest.dataset(), Map.of("base-model", "other-llava"));
        assertTrue(e.getMessage().contains("base-model: tiny-llava-hf before, other-llava now"), e.getMessage());
    }
}
