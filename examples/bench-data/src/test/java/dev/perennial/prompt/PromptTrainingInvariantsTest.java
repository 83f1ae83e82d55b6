/*
 * The sequence-building and training invariants of docs/methods/modalprompt.md §12 (items 16–20) on the tiny LLaVA: the prompt
 * block sits right after BOS with ignored labels and grows each sample by L·|selection|; generation with prompts
 * (inserted in the prefill only) equals recomputing the whole sequence without a cache; training the last task
 * changes its prompt and key MLP and nothing else (no frozen last prompt, bug B1); the objective is L_LM + L_img +
 * L_txt; with no supervised token the alignment terms alone still train the prompt and the key MLP.
 */
package dev.perennial.prompt;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.MergedInputs;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import dev.perennial.train.TrainingStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.perennial.prompt.TwoTaskFixture.BE;
import static org.junit.jupiter.api.Assertions.*;

class PromptTrainingInvariantsTest {
    static final int L = 4;

    @TempDir
    Path dir;

    /** A ModalPrompt pool of {@code tasks} entries for the tiny model (keys of width 16). */
    private static PromptPool pool(TwoTaskFixture f, int tasks) {
        PromptPool pool = new PromptPool(PromptPoolConfig.modalPrompt(3, L, 0.5f, 16), f.model.config().text().hiddenSize());
        for (int i = 0; i < tasks; i++) {
            pool.add("t" + (i + 1), PromptPool.vocabularyInit(f.model.decoder().embeddingTable(), f.tokenizer.vocabSize(), L, i), 100 + i);
        }
        return pool;
    }

    @Test
    void promptBlockFollowsBosWithIgnoredLabels() throws Exception {                          // §12.16
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptPool pool = pool(f, 4);
            PromptTaskData d = f.data(f.samples("colour", "train", 3), pool.config());
            PromptSelection sel = new PromptSelection(new int[][]{{3}, {0, 2}, {1, 0, 3}}, new float[3][3], null);
            List<long[]> ids = new ArrayList<>(), labels = new ArrayList<>();
            List<Tensor> px = new ArrayList<>();
            for (TrainingExample e : d.examples()) {
                ids.add(e.inputIds());
                labels.add(e.labels());
                px.add(e.pixels().unsqueeze(0));
            }
            Tensor features = f.model.imageFeatures(BE, BE.concat(px, 0));
            MergedInputs plain = f.model.merge(BE, ids, features, labels, false);
            MergedInputs with = f.model.merge(BE, ids, features, labels, false, pool.compose(BE, sel));
            for (int b = 0; b < 3; b++) {
                int block = L * sel.entries()[b].length;
                assertEquals(plain.lengths()[b] + block, with.lengths()[b]);
                assertEquals(f.model.config().text().bosTokenId(), ids.get(b)[0]);
                float[] got = with.embeds().select(0, b).narrow(0, 1, block).contiguous().toFloatArray();
                float[] expected = new float[0];
                for (int e : sel.entries()[b]) expected = concat(expected, pool.entry(e).prompt().toFloatArray());
                assertArrayEquals(expected, got, "sample " + b + ": prompts right after BOS, in selection order");
                for (int j = 0; j < block; j++) assertEquals(-100, with.labels().getLong(b, 1 + j));
                for (int j = 0; j < block; j++) assertTrue(with.valid()[b][1 + j]);
                for (int j = 1; j < plain.lengths()[b]; j++) {
                    assertEquals(plain.labels().getLong(b, j), with.labels().getLong(b, j + block));
                }
            }
        }
    }

    @Test
    void promptsEnterThePrefillOnlyAndTheCacheKeepsThem() throws Exception {                 // §12.17
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptPool pool = pool(f, 3);
            PromptTaskData d = f.data(f.samples("count", "test", 2), pool.config());
            PromptSelection sel = pool.selectForInference(BE, d.queries());
            List<PromptInsertion> inserts = pool.compose(BE, sel);
            PromptInference inference = new PromptInference(pool, f.model, BE, f.tokenizer, dev.perennial.text.ConversationTemplate.named("vicuna_v1"));
            for (int b = 0; b < 2; b++) {
                long[] prompt = inference.promptIds(d.samples().get(b));
                Tensor px = d.examples().get(b).pixels().unsqueeze(0);
                GenerationConfig gen = GenerationConfig.greedy(4, -1);
                long[] cached = new Generator(f.model, BE).generate(List.of(prompt), px, gen, null, List.of(inserts.get(b))).tokens().get(0);
                // recompute: the whole sequence (prompt + tokens so far) through a plain forward each step
                long[] seq = prompt.clone();
                for (int step = 0; step < 4; step++) {
                    try (TensorScope ignored = TensorScope.open()) {
                        LlavaModel.Output out = f.model.forward(BE, List.of(seq), px, null, List.of(inserts.get(b)));
                        int t = out.inputs().length();
                        float[] last = out.logits().select(0, 0).select(0, t - 1).contiguous().toFloatArray();
                        int best = 0;
                        for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
                        assertEquals(best, cached[step], "token " + step + " of sample " + b);
                        seq = Arrays.copyOf(seq, seq.length + 1);
                        seq[seq.length - 1] = best;
                    }
                }
            }
        }
    }

    @Test
    void trainingTheLastTaskChangesOnlyItsPromptAndKey() throws Exception {                  // §12.18, B1
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptPool pool = pool(f, 3);
            PromptTaskData d = f.data(f.samples("colour", "train", 4), pool.config());
            Map<String, float[]> before = snapshot(f, pool);
            PromptObjective objective = new PromptObjective(f.model, BE, pool, 2, d.queries(), null);
            new Trainer(f.model, objective.parameters(), objective, List.of(), new TrainConfig(1, 2, 1, 1e-2, 0, 0, 1.0, 0, -1, 0))
                    .train(d.examples(), null, false, null);
            Map<String, float[]> after = snapshot(f, pool);
            for (var e : before.entrySet()) {
                boolean trains = e.getKey().startsWith("t3/");
                assertEquals(!trains, Arrays.equals(e.getValue(), after.get(e.getKey())), e.getKey() + (trains ? " must change" : " must not change"));
            }
        }
    }

    @Test
    void lossIsLanguageModelPlusBothAlignmentTerms() throws Exception {                      // §12.19, §12.20
        try (TwoTaskFixture f = new TwoTaskFixture(dir)) {
            PromptPool pool = pool(f, 2);
            PromptTaskData d = f.data(f.samples("count", "train", 3), pool.config());
            PromptObjective objective = new PromptObjective(f.model, BE, pool, 1, d.queries(), null);
            int[] batch = {0, 2};
            TrainingStep.Result r = objective.run(d.examples(), batch);
            PromptSelection sel = pool.selectForTraining(BE, objective.gather(batch), 1);
            List<long[]> ids = List.of(d.examples().get(0).inputIds(), d.examples().get(2).inputIds());
            List<long[]> labels = List.of(d.examples().get(0).labels(), d.examples().get(2).labels());
            Tensor px = BE.concat(List.of(d.examples().get(0).pixels().unsqueeze(0), d.examples().get(2).pixels().unsqueeze(0)), 0);
            double lm = f.model.forward(BE, ids, px, labels, pool.compose(BE, sel)).loss();
            double key = pool.keyLoss(BE, objective.gather(batch), sel, 1).item();
            assertEquals(lm + key, r.loss(), 1e-5);
            assertTrue(key > 0 && key < 4);

            // no supervised token: the alignment terms alone still move P_t and g_t
            List<TrainingExample> unsupervised = new ArrayList<>();
            for (TrainingExample e : d.examples()) {
                long[] ignore = new long[e.labels().length];
                Arrays.fill(ignore, -100);
                unsupervised.add(new TrainingExample(e.sampleIndex(), e.sampleId(), e.inputIds(), ignore, e.pixels()));
            }
            TrainingStep.Result u = objective.run(unsupervised, batch);
            assertEquals(key, u.loss(), 1e-5);
            assertEquals(2, u.supervisedTokens(), "the key loss averages the 2 samples");
            for (var e : u.gradients().entrySet()) {
                double n = 0;
                for (float g : e.getValue().toFloatArray()) n += g * g;
                assertTrue(n > 0, e.getKey() + " moves through the alignment terms");
            }
        }
    }

    private static Map<String, float[]> snapshot(TwoTaskFixture f, PromptPool pool) {
        Map<String, float[]> m = new LinkedHashMap<>();
        f.model.weights().forEach((k, v) -> m.put("model/" + k, v.toFloatArray()));
        for (PromptEntry e : pool.entries()) e.tensors().forEach((k, v) -> m.put(e.name() + "/" + k, v.toFloatArray()));
        return m;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
