/*
 * ModalPrompt end to end on two tasks built by TwoTaskFixture : train "colour", then "count",
 * each committed to a state folder; at test time the task-agnostic selection puts the right task's prompt last
 * (most similar) for nearly all held-out samples; training task 2 leaves everything of task 1 bit-identical (its
 * files, its tensors, and the model's logits with task 1's prompt); a fresh load reproduces keys, selections and
 * generated answers exactly.
 */
package dev.perennial.prompt;

import dev.perennial.data.LlavaSample;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModalPromptTwoTaskTest {
    static final PromptPoolConfig CONFIG = PromptPoolConfig.modalPrompt(3, 4, 0.5f, 16);
    static final TrainConfig TRAIN = new TrainConfig(4, 4, 1, 1e-2, 0, 0.03, 1.0, 0, -1, 0);

    @TempDir
    Path dir;

    @Test
    void selectsTheRightTaskAndNeverChangesAFinishedOne() throws Exception {
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            Path stateDir = dir.resolve("state");
            PromptPoolState state = PromptPoolState.create(stateDir, CONFIG, f.model.config().text().hiddenSize());
            PromptTaskData colour = f.data(f.samples("colour", "train", 8), CONFIG);
            PromptTaskData count = f.data(f.samples("count", "train", 8), CONFIG);
            var r1 = PromptTaskTrainer.train(state, "colour", f.model, TwoTaskFixture.BE, colour, f.tokenizer.vocabSize(), 3, TRAIN, null, null);
            assertEquals(0, r1.taskIndex());
            List<Double> l1 = r1.training().losses();
            assertTrue(l1.get(l1.size() - 1) < l1.get(0), "task 1 loss falls: " + l1);

            Path task1 = stateDir.resolve("tasks/001-colour/entries.safetensors");
            byte[] task1Bytes = Files.readAllBytes(task1);
            Map<String, float[]> task1Tensors = floats(state.pool().entry(0).tensors());
            float[] key1 = state.pool().entry(0).keyValues(TwoTaskFixture.BE).clone();
            Map<String, float[]> model0 = new java.util.LinkedHashMap<>();
            f.model.weights().forEach((k, v) -> model0.put(k, v.toFloatArray()));
            List<LlavaSample> probe = f.samples("colour", "test", 2);
            float[] logits1 = logitsWithEntry(f, state.pool(), probe, 0);

            var r2 = PromptTaskTrainer.train(state, "count", f.model, TwoTaskFixture.BE, count, f.tokenizer.vocabSize(), 3, TRAIN, null, null);
            assertEquals(1, r2.taskIndex());
            assertArrayEquals(task1Bytes, Files.readAllBytes(task1), "task 1's file is never rewritten");
            assertEquals(task1Tensors.keySet(), floats(state.pool().entry(0).tensors()).keySet());
            floats(state.pool().entry(0).tensors()).forEach((k, v) -> assertArrayEquals(task1Tensors.get(k), v, k));
            assertArrayEquals(key1, state.pool().entry(0).keyValues(TwoTaskFixture.BE));
            f.model.weights().forEach((k, v) -> assertArrayEquals(model0.get(k), v.toFloatArray(), "model weight " + k));
            assertArrayEquals(logits1, logitsWithEntry(f, state.pool(), probe, 0), "task 1's outputs are bit-identical");
            // task 2 trained with task 1 retrieved before it (t = 2 <= K - 1: [1, 2])
            assertEquals(8L * 4, r2.selections().selected().get("all")[0]);

            // task-agnostic selection on held-out samples of both tasks
            int right = 0, total = 0;
            SelectionStats stats = new SelectionStats(List.of("colour", "count"));
            for (String task : List.of("colour", "count")) {
                PromptTaskData test = f.data(f.samples(task, "test", 10), CONFIG);
                PromptSelection sel = state.pool().selectForInference(TwoTaskFixture.BE, test.queries());
                stats.add(sel, task);
                for (int[] e : sel.entries()) {
                    assertEquals(2, e.length, "min(t, K) = 2 prompts");
                    total++;
                    if (state.pool().entry(e[1]).name().equals(task)) right++;
                }
            }
            assertTrue(right >= total * 0.9, "right prompt most similar for " + right + " of " + total + "\n" + stats.summary());
            assertTrue(stats.share("colour", 0) >= 0.9 && stats.share("count", 1) >= 0.9, stats.summary());

            // a fresh process: load the state, same keys, same selections, same answers
            PromptPoolState loaded = PromptPoolState.open(stateDir);
            assertEquals(List.of("colour", "count"), loaded.tasks().stream().map(PromptPoolState.Task::name).toList());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(state.pool().entry(i).keyValues(TwoTaskFixture.BE), loaded.pool().entry(i).keyValues(TwoTaskFixture.BE));
                float[] recomputed;
                try (var s = dev.perennial.tensor.TensorScope.open()) {
                    recomputed = loaded.pool().entry(i).key(TwoTaskFixture.BE).toFloatArray();
                }
                assertArrayEquals(state.pool().entry(i).keyValues(TwoTaskFixture.BE), recomputed, "the cached key is the key of the saved tensors");
            }
            List<LlavaSample> mixed = new ArrayList<>(f.samples("colour", "test", 3));
            mixed.addAll(f.samples("count", "test", 3));
            PromptTaskData m = f.data(mixed, CONFIG);
            GenerationConfig gen = GenerationConfig.greedy(6, f.model.config().text().eosTokenId());
            List<Tensor> pixels = m.examples().stream().map(e -> e.pixels()).toList();
            var before = new PromptInference(state.pool(), f.model, TwoTaskFixture.BE, f.tokenizer,
                    dev.perennial.text.ConversationTemplate.named("vicuna_v1")).answer(m.samples(), pixels, m.queries(), gen, null, null);
            var after = new PromptInference(loaded.pool(), f.model, TwoTaskFixture.BE, f.tokenizer,
                    dev.perennial.text.ConversationTemplate.named("vicuna_v1")).answer(m.samples(), pixels, m.queries(), gen, null, null);
            for (int i = 0; i < mixed.size(); i++) {
                assertEquals(before.get(i).entries(), after.get(i).entries());
                assertArrayEquals(before.get(i).scores(), after.get(i).scores());
                assertEquals(before.get(i).text(), after.get(i).text());
            }
        }
    }

    /** The model's logits for samples with entry {@code e}'s prompt inserted. */
    private static float[] logitsWithEntry(TwoTaskFixture f, PromptPool pool, List<LlavaSample> samples, int e) throws Exception {
        PromptTaskData d = f.data(samples, CONFIG);
        List<long[]> ids = new ArrayList<>();
        List<Tensor> px = new ArrayList<>();
        for (var ex : d.examples()) {
            ids.add(ex.inputIds());
            px.add(ex.pixels().unsqueeze(0));
        }
        int[][] rows = new int[ids.size()][];
        Arrays.fill(rows, new int[]{e});
        PromptSelection sel = new PromptSelection(rows, new float[ids.size()][1], null);
        LlavaModel.Output out = f.model.forward(TwoTaskFixture.BE, ids, TwoTaskFixture.BE.concat(px, 0), null, pool.compose(TwoTaskFixture.BE, sel));
        return out.logits().contiguous().toFloatArray();
    }

    private static Map<String, float[]> floats(Map<String, Tensor> t) {
        Map<String, float[]> m = new java.util.LinkedHashMap<>();
        t.forEach((k, v) -> m.put(k, v.toFloatArray()));
        return m;
    }
}
