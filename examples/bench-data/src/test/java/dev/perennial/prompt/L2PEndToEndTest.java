/*
 * L2P as a configuration of the generic pool, end to end on TwoTaskFixture's two tasks: a shared pool of 4 prompts
 * with free keys, the 2 best by the CLIP image query concatenated after BOS, key loss on the selected keys, the whole
 * pool trained on each task in turn. Checks the shared-pool checkpoint rules (each task saves a snapshot of the pool,
 * an earlier task's folder is never rewritten, loading takes the latest snapshot), that training pulls the selected
 * keys towards the queries (the key loss falls), and that a fresh load selects exactly as the trained pool.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.TensorScope;
import dev.perennial.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.perennial.prompt.TwoTaskFixture.BE;
import static org.junit.jupiter.api.Assertions.*;

class L2PEndToEndTest {
    static final PromptPoolConfig CONFIG = PromptPoolConfig.l2p(4, 2, 4, 16, "image", 0.5f);

    @TempDir
    Path dir;

    @Test
    void sharedPoolTrainsSavesAndReloads() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            Path stateDir = dir.resolve("l2p");
            PromptPoolState state = PromptPoolState.create(stateDir, CONFIG, f.model.config().text().hiddenSize());
            PromptTaskData colour = f.data(f.samples("colour", "train", 8), CONFIG);
            PromptTaskData count = f.data(f.samples("count", "train", 8), CONFIG);
            assertArrayEquals(new int[]{1, 8, 16}, colour.queries().shape(), "one query modality: the image");
            TrainConfig train = new TrainConfig(3, 4, 1, 1e-2, 0, 0.03, 1.0, 0, -1, 0);

            PromptPool pool = state.pool();
            double keyLossBefore = keyLoss(pool, colour);   // pool is empty until the first task creates it
            assertTrue(Double.isNaN(keyLossBefore));
            var r1 = PromptTaskTrainer.train(state, "colour", f.model, BE, colour, f.tokenizer.vocabSize(), 1, train, null, null);
            assertEquals(4, pool.size(), "the shared pool is created at the first task");
            byte[] task1 = Files.readAllBytes(stateDir.resolve("tasks/001-colour/entries.safetensors"));

            double before = keyLoss(pool, count);
            PromptTaskTrainer.train(state, "count", f.model, BE, count, f.tokenizer.vocabSize(), 1, train, null, null);
            double after = keyLoss(pool, count);
            assertTrue(after < before, "the selected keys move towards task 2's queries: " + before + " -> " + after);
            assertArrayEquals(task1, Files.readAllBytes(stateDir.resolve("tasks/001-colour/entries.safetensors")));
            assertFalse(r1.training().losses().isEmpty());

            PromptPoolState loaded = PromptPoolState.open(stateDir);
            assertEquals(4, loaded.pool().size());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(pool.entry(i).prompt().toFloatArray(), loaded.pool().entry(i).prompt().toFloatArray(), "latest snapshot");
                assertArrayEquals(pool.entry(i).freeKey().toFloatArray(), loaded.pool().entry(i).freeKey().toFloatArray());
            }
            PromptTaskData test = f.data(f.samples("colour", "test", 6), CONFIG);
            PromptSelection a = pool.selectForInference(BE, test.queries()), b = loaded.pool().selectForInference(BE, test.queries());
            assertTrue(Arrays.deepEquals(a.entries(), b.entries()));
            for (int[] e : a.entries()) assertEquals(2, e.length);
            SelectionStats stats = new SelectionStats(List.of("p0", "p1", "p2", "p3"));
            stats.add(a, "colour");
            assertEquals(6, Arrays.stream(stats.top().get("colour")).sum());
        }
    }

    /** The L2P key loss of a task's samples under the pool's current selection (NaN for an empty pool). */
    private static double keyLoss(PromptPool pool, PromptTaskData d) {
        if (pool.size() == 0) return Double.NaN;
        PromptSelection sel = pool.selectForTraining(BE, d.queries(), -1);
        try (TensorScope ignored = TensorScope.open()) {
            return pool.keyLoss(BE, d.queries(), sel, -1).item();
        }
    }
}
