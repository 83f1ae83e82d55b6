/*
 * DualPrompt as a configuration of the generic pool, end to end on TwoTaskFixture's two tasks and the tiny model
 * (2 decoder layers, kv width 32): the G-prompt prefix-tuned into layer 0, per task an E-prompt with a free key
 * prefix-tuned into layer 1 (docs/methods/modalprompt.md §14.2). Checks that
 *   - the G-prompt is created at the first task and trained by every task, each E-prompt only by its own task, the
 *     model never (bit for bit), and the key loss pulls the task's key towards its queries;
 *   - each task folder saves the G-prompt after that task, an earlier folder is never rewritten, and a fresh load
 *     (latest G, every E-prompt and cached key) answers exactly as the trained pool;
 *   - a task interrupted after a checkpoint resumes to the uninterrupted result, bit for bit (G, E-prompt, key);
 *   - prompts beyond the model's depth are refused before any work.
 */
package dev.perennial.prompt;

import dev.perennial.data.LlavaSample;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.perennial.prompt.TwoTaskFixture.BE;
import static org.junit.jupiter.api.Assertions.*;

class DualPromptEndToEndTest {
    static final PromptPoolConfig CONFIG = PromptPoolConfig.dualPrompt(List.of(0), 4, List.of(1), 6, 16, "image");
    static final TrainConfig TRAIN = new TrainConfig(3, 4, 1, 1e-2, 0, 0.03, 1.0, 0, -1, 1);

    @TempDir
    Path dir;

    static final class Killed extends RuntimeException {}

    @Test
    void gPromptIsSharedEPromptsPerTaskSavedAndReloaded() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            int width = CONFIG.promptWidth(f.model.config().text()), vocab = f.tokenizer.vocabSize();
            assertEquals(32, width, "prefix prompts have the kv width (2 kv heads × 16)");
            Path stateDir = dir.resolve("dualprompt");
            PromptPoolState state = PromptPoolState.create(stateDir, CONFIG, width);
            PromptTaskData colour = f.data(f.samples("colour", "train", 8), CONFIG);
            PromptTaskData count = f.data(f.samples("count", "train", 8), CONFIG);
            Map<String, float[]> model0 = new HashMap<>();
            f.model.weights().forEach((k, v) -> model0.put(k, v.toFloatArray()));

            PromptTaskTrainer.train(state, "colour", f.model, BE, colour, vocab, 1, TRAIN, null, null);
            PromptPool pool = state.pool();
            assertArrayEquals(new int[]{4, 32}, pool.shared().shape(), "G: 4 rows for one layer");
            assertArrayEquals(new int[]{6, 32}, pool.entry(0).prompt().shape(), "E: 6 rows for one layer");
            float[] g1 = pool.shared().toFloatArray(), e1 = pool.entry(0).prompt().toFloatArray(), k1 = pool.entry(0).freeKey().toFloatArray();
            byte[] task1 = Files.readAllBytes(stateDir.resolve("tasks/001-colour/entries.safetensors"));

            double before = currentKeyLoss(pool, count, 1, true);
            PromptTaskTrainer.train(state, "count", f.model, BE, count, vocab, 1, TRAIN, null, null);
            double after = currentKeyLoss(pool, count, 1, false);
            assertTrue(after < before, "task 2's key moves towards its queries: " + before + " -> " + after);
            assertFalse(Arrays.equals(g1, pool.shared().toFloatArray()), "the G-prompt trains with task 2 too");
            assertArrayEquals(e1, pool.entry(0).prompt().toFloatArray(), "task 1's E-prompt is frozen after task 1");
            assertArrayEquals(k1, pool.entry(0).freeKey().toFloatArray(), "and its key");
            assertArrayEquals(task1, Files.readAllBytes(stateDir.resolve("tasks/001-colour/entries.safetensors")), "task 1's folder is never rewritten");
            f.model.weights().forEach((k, v) -> assertArrayEquals(model0.get(k), v.toFloatArray(), "model weight " + k));

            PromptPoolState loaded = PromptPoolState.open(stateDir);
            assertArrayEquals(pool.shared().toFloatArray(), loaded.pool().shared().toFloatArray(), "the latest G-prompt is loaded");
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(pool.entry(i).prompt().toFloatArray(), loaded.pool().entry(i).prompt().toFloatArray());
                assertArrayEquals(pool.entry(i).keyValues(BE), loaded.pool().entry(i).keyValues(BE));
            }
            List<LlavaSample> mixed = new ArrayList<>(f.samples("colour", "test", 3));
            mixed.addAll(f.samples("count", "test", 3));
            PromptTaskData m = f.data(mixed, CONFIG);
            GenerationConfig gen = GenerationConfig.greedy(6, f.model.config().text().eosTokenId());
            List<Tensor> pixels = m.examples().stream().map(e -> e.pixels()).toList();
            var a = new PromptInference(pool, f.model, BE, f.tokenizer, dev.perennial.text.ConversationTemplate.named("vicuna_v1"))
                    .answer(m.samples(), pixels, m.queries(), gen, null, null);
            var b = new PromptInference(loaded.pool(), f.model, BE, f.tokenizer, dev.perennial.text.ConversationTemplate.named("vicuna_v1"))
                    .answer(m.samples(), pixels, m.queries(), gen, null, null);
            for (int i = 0; i < mixed.size(); i++) {
                assertEquals(1, a.get(i).entries().size(), "one E-prompt per sample");
                assertEquals(a.get(i).entries(), b.get(i).entries());
                assertEquals(a.get(i).text(), b.get(i).text());
            }
        }
    }

    @Test
    void anInterruptedTaskResumesBitForBit() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            int width = CONFIG.promptWidth(f.model.config().text()), vocab = f.tokenizer.vocabSize();
            PromptTaskData colour = f.data(f.samples("colour", "train", 8), CONFIG);
            PromptTaskData count = f.data(f.samples("count", "train", 8), CONFIG);
            PromptPoolState whole = PromptPoolState.create(dir.resolve("whole"), CONFIG, width);
            PromptTaskTrainer.train(whole, "colour", f.model, BE, colour, vocab, 5, TRAIN, null, null);
            PromptTaskTrainer.train(whole, "count", f.model, BE, count, vocab, 5, TRAIN, null, null);

            PromptPoolState cut = PromptPoolState.create(dir.resolve("cut"), CONFIG, width);
            PromptTaskTrainer.train(cut, "colour", f.model, BE, colour, vocab, 5, TRAIN, null, null);
            assertThrows(Killed.class, () -> PromptTaskTrainer.train(cut, "count", f.model, BE, count, vocab, 5, TRAIN, null,
                    (step, total, loss, rate, eta) -> { if (step == 3) throw new Killed(); }));
            PromptPoolState reopened = PromptPoolState.open(dir.resolve("cut"));       // a new process: G as task 1 left it
            assertEquals("count", reopened.pendingTask());
            var resumed = PromptTaskTrainer.train(reopened, "count", f.model, BE, count, vocab, 5, TRAIN, null, null);
            assertTrue(resumed.training().firstStep() > 0, "continues from a checkpoint");
            assertArrayEquals(whole.pool().shared().toFloatArray(), reopened.pool().shared().toFloatArray(), "G-prompt");
            for (int i = 0; i < 2; i++) {
                PromptEntry x = whole.pool().entry(i), y = reopened.pool().entry(i);
                for (var e : x.tensors().entrySet()) assertArrayEquals(e.getValue().toFloatArray(), y.tensors().get(e.getKey()).toFloatArray(), e.getKey());
                assertArrayEquals(x.keyValues(BE), y.keyValues(BE));
            }
        }
    }

    @Test
    void layersBeyondTheModelAreRefused() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptPoolConfig deep = PromptPoolConfig.dualPrompt(List.of(0, 1), 4, List.of(2, 3, 4), 6, 16, "image");
            PromptPoolState state = PromptPoolState.create(dir.resolve("deep"), deep, 32);
            PromptTaskData colour = f.data(f.samples("colour", "train", 2), deep);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> PromptTaskTrainer.train(state, "colour", f.model, BE, colour, f.tokenizer.vocabSize(), 1, TRAIN, null, null));
            assertTrue(e.getMessage().contains("prompt layer 2") && e.getMessage().contains("2 decoder layers (0-1)"), e.getMessage());
            assertEquals(0, state.pool().size());
        }
    }

    /**
     * The key loss 1 - cos(query, key of entry {@code entry}) over a task's samples; {@code fresh}: the entry does not
     * exist yet, so the loss of a key drawn as the pool draws it (uniform in [-1, 1) from the task's seed) is used.
     */
    private static double currentKeyLoss(PromptPool pool, PromptTaskData d, int entry, boolean fresh) {
        float[] key;
        if (fresh) {
            long entrySeed = PromptTaskTrainer.mix(1, entry);
            key = new FreeKeys().create("x", Tensor.zeros(6, 32), 32, 16, entrySeed ^ 0x5DEECE66DL).freeKey().toFloatArray();
        } else {
            key = pool.entry(entry).freeKey().toFloatArray();
        }
        float[] q = d.queries().toFloatArray();
        int n = d.queries().size(1), dim = d.queries().size(2);
        double total = 0;
        for (int i = 0; i < n; i++) {
            double dot = 0, nq = 0, nk = 0;
            for (int x = 0; x < dim; x++) {
                dot += q[i * dim + x] * key[x];
                nq += q[i * dim + x] * q[i * dim + x];
                nk += key[x] * key[x];
            }
            total += 1 - dot / Math.sqrt(nq * nk);
        }
        return total / n;
    }
}
