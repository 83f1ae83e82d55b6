/*
 * An interrupted prompt task resumes (PromptTaskTrainer, PromptPoolState): training stops at optimizer step 3 of
 * 8 with checkpoints every step (a progress listener throws, as a kill would); the task is pending, another task is
 * refused, and training the same task again continues from the checkpoint and commits exactly the tensors an
 * uninterrupted run commits.
 */
package dev.perennial.prompt;

import dev.perennial.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.perennial.prompt.TwoTaskFixture.BE;
import static org.junit.jupiter.api.Assertions.*;

class PromptResumeTest {
    static final PromptPoolConfig CONFIG = PromptPoolConfig.modalPrompt(3, 4, 0.5f, 16);
    static final TrainConfig TRAIN = new TrainConfig(4, 4, 1, 1e-2, 0, 0.03, 1.0, 0, -1, 1);

    @TempDir
    Path dir;

    static final class Killed extends RuntimeException {}

    @Test
    void anInterruptedTaskResumesToTheUninterruptedResult() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptTaskData data = f.data(f.samples("colour", "train", 8), CONFIG);
            int hidden = f.model.config().text().hiddenSize(), vocab = f.tokenizer.vocabSize();

            PromptPoolState whole = PromptPoolState.create(dir.resolve("whole"), CONFIG, hidden);
            PromptTaskTrainer.train(whole, "colour", f.model, BE, data, vocab, 5, TRAIN, null, null);

            PromptPoolState cut = PromptPoolState.create(dir.resolve("cut"), CONFIG, hidden);
            assertThrows(Killed.class, () -> PromptTaskTrainer.train(cut, "colour", f.model, BE, data, vocab, 5, TRAIN, null,
                    (step, total, loss, rate, eta) -> { if (step == 3) throw new Killed(); }));
            assertEquals(0, cut.pool().size(), "the failed task's entry is not left in the pool");
            PromptPoolState reopened = PromptPoolState.open(dir.resolve("cut"));
            assertEquals("colour", reopened.pendingTask());
            var other = assertThrows(IllegalArgumentException.class,
                    () -> PromptTaskTrainer.train(reopened, "count", f.model, BE, data, vocab, 5, TRAIN, null, null));
            assertTrue(other.getMessage().contains("task colour was interrupted"), other.getMessage());

            var resumed = PromptTaskTrainer.train(reopened, "colour", f.model, BE, data, vocab, 5, TRAIN, null, null);
            assertEquals(2, resumed.training().firstStep(), "continues from the last checkpoint (step 2; step 3 was cut before its checkpoint)");
            assertEquals(8, resumed.training().lastStep());
            assertNull(reopened.pendingTask());
            PromptEntry a = whole.pool().entry(0), b = reopened.pool().entry(0);
            for (var e : a.tensors().entrySet()) assertArrayEquals(e.getValue().toFloatArray(), b.tensors().get(e.getKey()).toFloatArray(), e.getKey());
            assertArrayEquals(a.keyValues(BE), b.keyValues(BE));
        }
    }
}
