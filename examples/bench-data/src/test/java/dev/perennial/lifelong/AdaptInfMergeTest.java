/*
 * ADAPT-∞'s step loop with merging (docs/methods/adapt-inf.md §1.3) on a small random LLaVA and the built-in
 * benchmark: step 0 is the same with or without merging; step 1 scores with step 0's adapter attached (the same
 * vectors as without merging), then starts from a fresh adapter (B = 0, A ≠ step 0's) on the merged model, whose logits
 * are exactly those of the base with step 0's adapter merged (and those of the un-merged step-0 model within the logits
 * bound of docs/methods/llava-numerics.md); after step 1 the model is base ⊕ adapter 0 + adapter 1, rebuilt here from the
 * saved adapters, and its adapters differ from the single-adapter run's. A run killed after step 0 or after step 1 (whose
 * restore merges the chain again) resumes to the same bytes as an uninterrupted one, and a changed merged adapter is
 * refused instead of rebuilding another model. A projector trained beside the adapters (LLaVA's recipe) carries over
 * into the base of later steps and resumes too.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.benchdata.shapes.ShapesBenchmark;
import dev.perennial.benchdata.shapes.Skill;
import dev.perennial.benchdata.shapes.WordTokenizer;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.TrainingExample;
import dev.perennial.eval.AnswerScorers;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Linear;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.nn.MergedWeights;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.NonLoraTrainables;
import dev.perennial.train.TrainConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AdaptInfMergeTest {
    static final ShapesBenchmark.Settings BENCH = new ShapesBenchmark.Settings(32, 8, 4, 3, List.of(Skill.COLOUR, Skill.COUNT, Skill.SHAPE));
    static final TrainConfig TRAIN = new TrainConfig(1, 4, 1, 1e-2, 0, 0, 1.0, 0, -1, 0);
    static final LoraConfig LORA = LoraConfig.llm(4, 8, 0f);
    static final CpuBackend BE = new CpuBackend();

    @TempDir
    Path dir;
    Path model;
    Tokenizer tokenizer;
    List<Task> tasks;
    LifelongRun reader;

    @BeforeEach
    void world() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), BENCH);
        tasks = TaskStreams.shapes(dir.resolve("bench"));
        List<String> corpus = new ArrayList<>(ShapesBenchmark.corpus(BENCH));
        corpus.add(ConversationTemplate.named("vicuna_v1").generationPrompt(List.of(ConversationTurn.human("<image>\nq"))));
        WordTokenizer.Ids ids = WordTokenizer.write(dir.resolve("tokenizer.json"), corpus);
        tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        model = SyntheticCheckpoint.write(dir.resolve("model"), new LlamaConfig(32, 64, 2, 4, 4, ids.vocabSize(), 1e-5f, 10000f, 256, false, 1, 2),
                new ClipVisionConfig(16, 32, 1, 2, 32, 8, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU), ids.image(), DType.F32, 5);
        reader = new LifelongRun(tasks, dir.resolve("reader"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
    }

    private List<LlavaSample> training(int step) {
        try {
            return reader.training(step);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base model for the runs' zero-shot row, answering as the strategies do (batches of 4, 3 new tokens). */
    private BaseModel base() throws IOException {
        return BaseModel.of(new ModelSession(model, tokenizer, ConversationTemplate.named("vicuna_v1"), BE, 256), 4, 3);
    }

    private AdaptInfStrategy strategy(Path work, boolean merge, TrainConfig train) throws IOException {
        ModelSession session = new ModelSession(model, tokenizer, ConversationTemplate.named("vicuna_v1"), BE, 256);
        return new AdaptInfStrategy(session, LORA, train, 6, 1, 4, 3, Files.createDirectories(work), 2, 32, 10, merge, dev.perennial.cluster.KMeans.DEFAULT_N_INIT,
                (name, index) -> {
                    int step = tasks.stream().map(Task::name).toList().indexOf(name);
                    return new LoraStrategy.Chosen(tasks.get(step), training(step).get(index));
                });
    }

    /** Logits of one test-like sample (the first training conversation of task 2, image included). */
    private float[] logits(ModelSession session, LlavaModel m) throws IOException {
        TrainingExample e = session.examples(tasks.get(2), List.of(training(2).get(0))).get(0);
        return m.forward(BE, List.of(e.inputIds()), e.pixels(), null).logits().toFloatArray();
    }

    private static float[] values(Map<String, LoraAdapter> adapters, boolean b) {
        List<Float> all = new ArrayList<>();
        for (LoraAdapter ad : adapters.values()) for (float v : (b ? ad.b() : ad.a()).toFloatArray()) all.add(v);
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }

    @Test
    void stepOneScoresWithStepZerosAdapterThenTrainsAFreshOneOnTheMergedModel() throws IOException {
        Path state0 = Files.createDirectories(dir.resolve("state0")), work = dir.resolve("merge");
        try (AdaptInfStrategy merging = strategy(work, true, TRAIN); AdaptInfStrategy single = strategy(dir.resolve("single"), false, TRAIN)) {
            merging.learn(0, tasks.get(0), training(0));
            single.learn(0, tasks.get(0), training(0));
            assertArrayEquals(values(single.adapters, false), values(merging.adapters, false), 0f, "step 0 does not depend on merging: A");
            assertArrayEquals(values(single.adapters, true), values(merging.adapters, true), 0f, "step 0 does not depend on merging: B");
            float[] step0A = values(merging.adapters, false), unmerged0 = logits(merging.session, merging.session.model());
            merging.save(state0);

            // the start of step 1: a strategy restored after step 0 that takes no optimizer step
            TrainConfig none = new TrainConfig(1, 4, 1, 1e-2, 0, 0, 1.0, 0, 0, 0);
            try (AdaptInfStrategy start = strategy(dir.resolve("start"), true, none)) {
                start.restore(state0, 0);
                start.learn(1, tasks.get(1), training(1));
                for (float b : values(start.adapters, true)) assertEquals(0f, b, "a fresh adapter: B = 0");
                float[] a1 = values(start.adapters, false);
                assertEquals(step0A.length, a1.length);
                assertFalse(java.util.Arrays.equals(step0A, a1), "a fresh A, not step 0's");
                float[] startLogits = logits(start.session, start.session.model());
                try (LlavaModel m = LlavaModel.load(model); MergedWeights mw = new MergedWeights()) {
                    Lora.load(state0.resolve("adapter"), m.linears(), 0);
                    mw.merge(BE, m.linears());
                    assertArrayEquals(logits(start.session, m), startLogits, 0f, "step 1 starts from the base with step 0's adapter merged");
                }
                double d = 0;
                for (int i = 0; i < startLogits.length; i++) d = Math.max(d, Math.abs(startLogits[i] - unmerged0[i]));
                assertTrue(d <= 1e-4, "merged vs un-merged step-0 model: max |diff| " + d);
            }

            merging.learn(1, tasks.get(1), training(1));
            single.learn(1, tasks.get(1), training(1));
            assertArrayEquals(Files.readAllBytes(dir.resolve("single/vectors-001.npy")), Files.readAllBytes(work.resolve("vectors-001.npy")),
                    "step 1 scores with step 0's adapter attached, merging or not");
            assertArrayEquals(Files.readAllBytes(state0.resolve("adapter").resolve(Lora.WEIGHTS_FILE)),
                    Files.readAllBytes(work.resolve("merged/000").resolve(Lora.WEIGHTS_FILE)), "the merged adapter is step 0's");
            assertFalse(java.util.Arrays.equals(values(single.adapters, true), values(merging.adapters, true)), "the adapters differ from one trained on");

            Path state1 = Files.createDirectories(dir.resolve("state1"));
            merging.save(state1);
            float[] after1 = logits(merging.session, merging.session.model());
            try (LlavaModel m = LlavaModel.load(model); MergedWeights mw = new MergedWeights()) {
                Lora.load(state0.resolve("adapter"), m.linears(), 0);
                mw.merge(BE, m.linears());
                Lora.load(state1.resolve("adapter"), m.linears(), 0);
                assertArrayEquals(logits(merging.session, m), after1, 0f, "after step 1: base ⊕ adapter 0 + adapter 1");
                for (Linear l : m.linears().values()) l.setAdapter(null);
                mw.close();
                Lora.load(state1.resolve("adapter"), m.linears(), 0);
                float[] alone = logits(merging.session, m);
                double d = 0;
                for (int i = 0; i < alone.length; i++) d = Math.max(d, Math.abs(alone[i] - after1[i]));
                assertTrue(d > 1e-3, "step 1's adapter alone is not the model (max |diff| " + d + ")");
            }
        }
    }

    @Test
    void aRunKilledAfterStepZeroOrOneResumesToTheSameBytes() throws IOException {
        LifelongRun.Settings settings = new LifelongRun.Settings(0, false);
        LifelongRun whole = new LifelongRun(tasks, dir.resolve("whole"), settings, AnswerScorers.standard(), this::base);
        whole.run("adapt-inf", work -> strategy(work, true, TRAIN), null);
        Path expected = dir.resolve("whole/strategies/adapt-inf");
        assertTrue(Files.isRegularFile(expected.resolve("work/merged/001").resolve(Lora.WEIGHTS_FILE)), "steps 0 and 1 were merged");
        assertEquals(2, new ObjectMapper().readTree(expected.resolve("steps/002/state").resolve(LoraStrategy.CHAIN_FILE).toFile()).get("merged").size());

        class Killed extends RuntimeException {}
        for (int killedAfter : new int[]{0, 1}) {
            Path out = dir.resolve("cut" + killedAfter);
            LifelongRun cut = new LifelongRun(tasks, out, settings, AnswerScorers.standard(), this::base);
            assertThrows(Killed.class, () -> cut.run("adapt-inf", work -> strategy(work, true, TRAIN), (s, step, task, acc, sec) -> {
                if (step == killedAfter) throw new Killed();
            }));
            assertFalse(Files.exists(out.resolve("strategies/adapt-inf/steps/00" + (killedAfter + 1))));
            new LifelongRun(tasks, out, settings, AnswerScorers.standard(), this::base).run("adapt-inf", work -> strategy(work, true, TRAIN), null);
            assertSameBytes(dir.resolve("whole"), out, Path.of("strategies/adapt-inf"));
        }

        // a merged adapter that changed after its step was committed cannot rebuild the merged model
        Path changed = dir.resolve("cut1/strategies/adapt-inf/work/merged/000").resolve(Lora.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(changed);
        bytes[bytes.length - 1] ^= 1;
        Files.write(changed, bytes);
        try (AdaptInfStrategy s = strategy(dir.resolve("cut1/strategies/adapt-inf/work"), true, TRAIN)) {
            IOException e = assertThrows(IOException.class, () -> s.restore(dir.resolve("cut1/strategies/adapt-inf/steps/002/state"), 2));
            assertTrue(e.getMessage().contains("adapter of step 0") && e.getMessage().contains("cannot be rebuilt"), e.getMessage());
        }
    }

    /**
     * With the projector trained too (LLaVA's recipe), each step's state holds it beside the adapter, a later step
     * starts from the base with the earlier adapters merged and the projector as the earlier steps left it, and a run
     * killed after step 0 resumes to the same bytes.
     */
    @Test
    void aTrainedProjectorIsPartOfTheBaseOfLaterStepsAndResumes() throws IOException {
        LifelongRun.Settings settings = new LifelongRun.Settings(0, false);
        LifelongRun whole = new LifelongRun(tasks, dir.resolve("whole"), settings, AnswerScorers.standard(), this::base);
        whole.run("adapt-inf", work -> strategy(work, true, TRAIN).trainProjector(1e-3), null);
        Path steps = dir.resolve("whole/strategies/adapt-inf/steps");
        Map<String, float[]> base = new java.util.LinkedHashMap<>(), after0 = new java.util.LinkedHashMap<>(), after1 = new java.util.LinkedHashMap<>();
        try (LlavaModel m = LlavaModel.load(model)) {
            m.projector().parameters().forEach((k, v) -> base.put(k, v.toFloatArray()));
            NonLoraTrainables.load(steps.resolve("000/state/adapter"), m, BE).forEach((k, v) -> after0.put(k, v.toFloatArray()));
            NonLoraTrainables.load(steps.resolve("001/state/adapter"), m, BE).forEach((k, v) -> after1.put(k, v.toFloatArray()));
        }
        for (String k : base.keySet()) {
            assertFalse(java.util.Arrays.equals(base.get(k), after0.get(k)), "step 0 trained " + k);
            assertFalse(java.util.Arrays.equals(after0.get(k), after1.get(k)), "step 1 trained " + k + " further");
        }

        TrainConfig none = new TrainConfig(1, 4, 1, 1e-2, 0, 0, 1.0, 0, 0, 0);
        try (AdaptInfStrategy start = strategy(dir.resolve("start"), true, none)) {
            start.trainProjector(1e-3).restore(steps.resolve("000/state"), 0);
            start.learn(1, tasks.get(1), training(1));
            float[] startLogits = logits(start.session, start.session.model());
            try (LlavaModel m = LlavaModel.load(model); MergedWeights mw = new MergedWeights()) {
                NonLoraTrainables.load(steps.resolve("000/state/adapter"), m, BE);
                Lora.load(steps.resolve("000/state/adapter"), m.linears(), 0);
                mw.merge(BE, m.linears());
                assertArrayEquals(logits(start.session, m), startLogits, 0f, "step 1 starts from step 0's merged adapter and projector");
            }
        }

        class Killed extends RuntimeException {}
        Path out = dir.resolve("cut");
        LifelongRun cut = new LifelongRun(tasks, out, settings, AnswerScorers.standard(), this::base);
        assertThrows(Killed.class, () -> cut.run("adapt-inf", work -> strategy(work, true, TRAIN).trainProjector(1e-3), (s, step, task, acc, sec) -> {
            throw new Killed();
        }));
        new LifelongRun(tasks, out, settings, AnswerScorers.standard(), this::base).run("adapt-inf", work -> strategy(work, true, TRAIN).trainProjector(1e-3), null);
        assertSameBytes(dir.resolve("whole"), out, Path.of("strategies/adapt-inf"));
    }

    /**
     * Every file under rootA/sub equals its counterpart under rootB/sub byte for byte, once rootA's path in it is read as
     * rootB's (the data pool records its vectors file by absolute path); step.json without its wall-clock "seconds".
     */
    private static void assertSameBytes(Path rootA, Path rootB, Path sub) throws IOException {
        Path a = rootA.resolve(sub), b = rootB.resolve(sub);
        List<Path> fa, fb;
        try (Stream<Path> s = Files.walk(a)) { fa = s.filter(Files::isRegularFile).map(a::relativize).sorted().toList(); }
        try (Stream<Path> s = Files.walk(b)) { fb = s.filter(Files::isRegularFile).map(b::relativize).sorted().toList(); }
        assertEquals(fa, fb, "the same files");
        ObjectMapper json = new ObjectMapper();
        java.nio.charset.Charset bytes = java.nio.charset.StandardCharsets.ISO_8859_1;
        for (Path f : fa) {
            String x = Files.readString(a.resolve(f), bytes).replace(rootA.toString(), rootB.toString()), y = Files.readString(b.resolve(f), bytes);
            if (f.getFileName().toString().equals("step.json")) {
                ObjectNode ox = (ObjectNode) json.readTree(x), oy = (ObjectNode) json.readTree(y);
                ox.remove("seconds");
                oy.remove("seconds");
                assertEquals(ox, oy, f.toString());
            } else {
                assertEquals(x, y, f.toString());
            }
        }
    }
}
