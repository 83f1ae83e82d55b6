/*
 * LifelongRun on a two-task built-in benchmark with a small random LLaVA the test writes (SyntheticCheckpoint with a
 * WordTokenizer vocabulary): the sequential, replay and multi-task strategies each produce a full lower-triangular
 * accuracy matrix after the run's one zero-shot row, per-step folders with predictions and state, and the same
 * training budget per step; a run killed
 * after its first step resumes from the step folder and ends with exactly the matrix of an uninterrupted run; the
 * replay memory and the multi-task union draw on earlier tasks; sequential fine-tuning can merge between steps.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.cluster.KMeans;
import dev.perennial.eval.AnswerScorers;
import dev.perennial.benchdata.shapes.ShapesBenchmark;
import dev.perennial.benchdata.shapes.Skill;
import dev.perennial.benchdata.shapes.WordTokenizer;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;
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

import static org.junit.jupiter.api.Assertions.*;

class LifelongRunTest {
    static final ShapesBenchmark.Settings BENCH = new ShapesBenchmark.Settings(32, 8, 4, 3, List.of(Skill.COLOUR, Skill.COUNT));
    static final TrainConfig TRAIN = new TrainConfig(1, 4, 1, 1e-2, 0, 0, 1.0, 0, -1, 0);

    @TempDir
    Path dir;
    Path model;
    Tokenizer tokenizer;
    List<Task> tasks;

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
    }

    private ModelSession session() throws IOException {
        return new ModelSession(model, tokenizer, ConversationTemplate.named("vicuna_v1"), new CpuBackend(), 256);
    }

    /** The base model, answering as the strategies below do (batches of 4, at most 3 new tokens). */
    private BaseModel base() throws IOException {
        return BaseModel.of(session(), 4, 3);
    }

    private LifelongRun.StrategyFactory factory(String name, LifelongRun run) {
        LoraConfig lora = LoraConfig.llm(4, 8, 0f);
        return work -> switch (name) {
            case "sequential" -> new SequentialFineTuning(session(), lora, TRAIN, 6, 1, 4, 3);
            case "replay" -> new RandomReplay(session(), lora, TRAIN, 6, 1, 4, 3, 4, 0.5,
                    (step, index) -> new LoraStrategy.Chosen(tasks.get(step), training(run, step).get(index)));
            case "multitask" -> new MultiTaskTraining(session(), lora, TRAIN, 6, 1, 4, 3,
                    step -> training(run, step).stream().map(s -> new LoraStrategy.Chosen(tasks.get(step), s)).toList());
            case "adapt-inf" -> new AdaptInfStrategy(session(), lora, TRAIN, 6, 1, 4, 3, work, 2, 32, 10, true, KMeans.DEFAULT_N_INIT,
                    (taskName, index) -> {
                        int step = tasks.stream().map(Task::name).toList().indexOf(taskName);
                        return new LoraStrategy.Chosen(tasks.get(step), training(run, step).get(index));
                    });
            case "modalprompt" -> new PromptPoolStrategy(name, session(), clip(), dev.perennial.prompt.PromptPoolConfig.modalPrompt(3, 2, 0.5f, 16),
                    work.resolve("prompts"), TRAIN, PromptProtocol.sharedBudget(), 6, 1, 4, 3);
            case "l2p" -> new PromptPoolStrategy(name, session(), clip(), dev.perennial.prompt.PromptPoolConfig.l2p(4, 2, 2, 16, "image", 0.5f),
                    work.resolve("prompts"), TRAIN, PromptProtocol.sharedBudget(), 6, 1, 4, 3);
            // the synthetic model has 2 decoder layers: G in layer 0, E in layer 1, 2 prefix positions each
            case "dualprompt" -> new PromptPoolStrategy(name, session(), clip(),
                    dev.perennial.prompt.PromptPoolConfig.dualPrompt(List.of(0), 4, List.of(1), 4, 16, "image"),
                    work.resolve("prompts"), TRAIN, PromptProtocol.sharedBudget(), 6, 1, 4, 3);
            case "s-prompts" -> new PromptPoolStrategy(name, session(), clip(), dev.perennial.prompt.PromptPoolConfig.sPrompts(2, 16, "image", 2),
                    work.resolve("prompts"), TRAIN, PromptProtocol.sharedBudget(), 6, 1, 4, 3);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private Path clip() throws IOException {
        Path c = dir.resolve("clip");
        if (!Files.isDirectory(c)) {
            Path vocab = dev.perennial.benchdata.Golden.dir().resolve("clip/clip-tokenizer");
            dev.perennial.benchdata.SyntheticClip.write(c, dev.perennial.benchdata.SyntheticClip.Shape.tiny(16), vocab, 7);
        }
        return c;
    }

    @Test
    void adaptInfSelectsFromThePoolPrunesAndResumes() throws IOException {
        LifelongRun whole = new LifelongRun(tasks, dir.resolve("ai-whole"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        LifelongRun.Result expected = whole.run("adapt-inf", factory("adapt-inf", whole), null);
        for (Strategy.StepOutcome o : expected.steps()) assertTrue(o.trainingSamples() > 0 && o.trainingSamples() <= 6, "at most the budget: " + o);
        Path pool = dir.resolve("ai-whole/strategies/adapt-inf/steps/001/state/pool");
        JsonNode report = new ObjectMapper().readTree(pool.resolve("steps/0001/report.json").toFile());
        assertEquals(8 + 8, report.get("pool_size").asInt(), "step 1 scores the 8 kept samples of task 1 and the 8 new ones");
        assertEquals(10, report.get("pruning").get("pool_after").asInt(), "pruned to P_max");

        LifelongRun cut = new LifelongRun(tasks, dir.resolve("ai-cut"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        class Killed extends RuntimeException {}
        assertThrows(Killed.class, () -> cut.run("adapt-inf", factory("adapt-inf", cut), (s, step, task, acc, sec) -> { throw new Killed(); }));
        LifelongRun.Result resumed = cut.run("adapt-inf", factory("adapt-inf", cut), null);
        for (int j = 0; j < 2; j++) assertArrayEquals(expected.matrix().row(j), resumed.matrix().row(j), 0, "row " + j);
    }

    @Test
    void modalPromptRunsAsAStrategyAndResumes() throws IOException {
        LifelongRun whole = new LifelongRun(tasks, dir.resolve("mp-whole"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        LifelongRun.Result expected = whole.run("modalprompt", factory("modalprompt", whole), null);
        JsonNode step1 = new ObjectMapper().readTree(dir.resolve("mp-whole/strategies/modalprompt/steps/001/step.json").toFile());
        assertEquals(4, step1.get("prompt_selection").get("groups").get("Colour").get("samples").asInt(), "test-time selections are reported");
        assertTrue(Files.isRegularFile(dir.resolve("mp-whole/strategies/modalprompt/work/prompts/tasks/002-Count/entries.safetensors")));

        LifelongRun cut = new LifelongRun(tasks, dir.resolve("mp-cut"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        class Killed extends RuntimeException {}
        assertThrows(Killed.class, () -> cut.run("modalprompt", factory("modalprompt", cut), (s, step, task, acc, sec) -> { throw new Killed(); }));
        LifelongRun.Result resumed = cut.run("modalprompt", factory("modalprompt", cut), null);
        for (int j = 0; j < 2; j++) assertArrayEquals(expected.matrix().row(j), resumed.matrix().row(j), 0, "row " + j);
    }

    // ModalPrompt's own protocol (run files' default): every training sample of the task for its own epochs, not the
    // run's budget of 6 samples and 1 epoch; a fraction takes that share of the task's samples.
    @Test
    void thePapersProtocolTrainsOnTheTasksOwnDataAndEpochs() throws IOException {
        for (PromptProtocol protocol : List.of(PromptProtocol.paper(), new PromptProtocol(false, 0.5, 2))) {
            String name = "mp-" + protocol.epochs();
            LifelongRun run = new LifelongRun(tasks, dir.resolve(name), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
            LifelongRun.Result r = run.run("modalprompt", work -> new PromptPoolStrategy("modalprompt", session(), clip(),
                    dev.perennial.prompt.PromptPoolConfig.modalPrompt(3, 2, 0.5f, 16), work.resolve("prompts"), TRAIN, protocol, 6, 1, 4, 3), null);
            int expected = (int) Math.round(protocol.dataFraction() * 8);                  // 8 training samples per task
            for (Strategy.StepOutcome o : r.steps()) assertEquals(expected, o.trainingSamples(), protocol + ": " + o);
            JsonNode task = new ObjectMapper().readTree(dir.resolve(name + "/strategies/modalprompt/work/prompts/tasks/001-Colour/task.json").toFile());
            assertEquals(expected, task.get("samples").asInt(), task.toString());
            assertEquals(protocol.epochs() * ((expected + 3) / 4), task.get("steps").asInt(), protocol + " trains its own epochs (batch 4): " + task);
        }
    }

    // The prompt baselines run as strategies of a lifelong run (frozen backbone, the pool trained per step), report
    // their test-time selections and resume after an interruption with the same accuracy matrix.
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"l2p", "dualprompt", "s-prompts"})
    void promptBaselinesRunAsStrategiesAndResume(String name) throws IOException {
        LifelongRun whole = new LifelongRun(tasks, dir.resolve(name + "-whole"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        LifelongRun.Result expected = whole.run(name, factory(name, whole), null);
        Path strategy = dir.resolve(name + "-whole/strategies/" + name);
        JsonNode step1 = new ObjectMapper().readTree(strategy.resolve("steps/001/step.json").toFile());
        assertEquals(4, step1.get("prompt_selection").get("groups").get("Colour").get("samples").asInt(), "test-time selections are reported");
        assertTrue(Files.isRegularFile(strategy.resolve("steps/001/state/" + name + ".json")), "the step state is named after the strategy");
        JsonNode pool = new ObjectMapper().readTree(strategy.resolve("work/prompts/pool.json").toFile());
        assertEquals(name, pool.get("config").get("method").asText(), "the pool is the strategy's preset");

        LifelongRun cut = new LifelongRun(tasks, dir.resolve(name + "-cut"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        class Killed extends RuntimeException {}
        assertThrows(Killed.class, () -> cut.run(name, factory(name, cut), (s, step, task, acc, sec) -> { throw new Killed(); }));
        LifelongRun.Result resumed = cut.run(name, factory(name, cut), null);
        for (int j = 0; j < 2; j++) assertArrayEquals(expected.matrix().row(j), resumed.matrix().row(j), 0, "row " + j);
    }

    /**
     * Regression: a process that died inside the first step, after the strategy's
     * working state (ADAPT-∞'s data pool, ModalPrompt's prompt pool) had already taken the task, made every rerun
     * fail ("dataset 'Colour' already joined the pool at step 0"). The rerun must start clean and give the same
     * matrix as an uninterrupted run.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"adapt-inf", "modalprompt"})
    void aRunKilledInsideItsFirstStepAfterTheWorkingStateCommittedResumes(String name) throws IOException {
        LifelongRun whole = new LifelongRun(tasks, dir.resolve(name + "-whole"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        LifelongRun.Result expected = whole.run(name, factory(name, whole), null);

        LifelongRun cut = new LifelongRun(tasks, dir.resolve(name + "-cut"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        class Killed extends RuntimeException {}
        LifelongRun.StrategyFactory real = factory(name, cut);
        LifelongRun.StrategyFactory dying = work -> new Strategy() {           // learns step 0 (committing its state), then dies
            final Strategy inner = real.create(work);
            @Override public String name() { return inner.name(); }
            @Override public StepOutcome learn(int step, Task task, List<dev.perennial.data.LlavaSample> train) throws IOException {
                inner.learn(step, task, train);
                throw new Killed();
            }
            @Override public List<String> answer(Task task, List<TestRecord> records) throws IOException { return inner.answer(task, records); }
            @Override public void save(Path d) throws IOException { inner.save(d); }
            @Override public void restore(Path d, int step) throws IOException { inner.restore(d, step); }
            @Override public void close() throws IOException { inner.close(); }
        };
        assertThrows(Killed.class, () -> cut.run(name, dying, null));
        LifelongRun.Result resumed = cut.run(name, factory(name, cut), null);
        for (int j = 0; j < 2; j++) assertArrayEquals(expected.matrix().row(j), resumed.matrix().row(j), 0, "row " + j);
    }

    private static List<dev.perennial.data.LlavaSample> training(LifelongRun run, int step) {
        try {
            return run.training(step);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyStrategyFillsTheMatrixWithTheSameBudget() throws IOException {
        LifelongRun run = new LifelongRun(tasks, dir.resolve("out"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        for (String name : List.of("sequential", "replay", "multitask")) {
            LifelongRun.Result r = run.run(name, factory(name, run), null);
            assertEquals(2, r.matrix().steps());
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i <= j; i++) assertTrue(r.matrix().get(j, i) >= 0 && r.matrix().get(j, i) <= 1);
                if (j == 0) assertTrue(Double.isNaN(r.matrix().get(0, 1)), "a future task is not evaluated by default");
            }
            assertEquals(List.of(6, 6), r.steps().stream().map(Strategy.StepOutcome::trainingSamples).toList(), name + ": same budget per step");
            Path step1 = dir.resolve("out/strategies").resolve(name).resolve("steps/001");
            assertEquals(4, Files.readAllLines(step1.resolve("predictions/Colour.jsonl")).size());
            JsonNode s = new ObjectMapper().readTree(step1.resolve("step.json").toFile());
            assertEquals("Count", s.get("task").asText());
            assertTrue(Files.isRegularFile(step1.resolve("state/adapter/adapter_model.safetensors")));
        }
        assertTrue(Files.isRegularFile(dir.resolve("out/strategies/replay/steps/001/state/replay.json")));

        // the run's outputs from the three results (resumed runs return the same results from their step folders)
        List<LifelongRun.Result> results = new ArrayList<>();
        for (String name : List.of("sequential", "replay", "multitask")) results.add(run.run(name, factory(name, run), null));
        List<RunReport.Line> lines = RunReport.write(dir.resolve("out"), results);
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("out/metrics.json").toFile());
        for (String name : List.of("sequential", "replay", "multitask")) {
            JsonNode m = metrics.get("strategies").get(name);
            for (String k : List.of("final_avg_acc", "bwt", "forgetting", "fwt", "mft", "maa", "relative_gain", "train_samples", "seconds")) {
                assertTrue(m.has(k), name + " " + k);
            }
            assertTrue(m.get("fwt").isNull(), "no forward transfer without evaluate_future");
            assertEquals(12, m.get("train_samples").asInt());
        }
        JsonNode own = metrics.get("strategies").get("multitask").get("relative_gain");
        assertTrue(own.isNull() || Math.abs(own.asDouble() - 100) < 1e-9, "the reference against itself: " + own);
        assertEquals(3, lines.size());
        List<String> csv = Files.readAllLines(dir.resolve("out/accuracy_matrix.csv"));
        assertEquals(1 + 3 * 3, csv.size(), "per strategy the zero-shot row and two steps");
        assertTrue(csv.get(1).startsWith("sequential,zero-shot,") && csv.get(4).startsWith("replay,zero-shot,"), csv.toString());
        assertEquals(csv.get(1).substring("sequential".length()), csv.get(4).substring("replay".length()), "one base model, one zero-shot row");
        assertTrue(Files.readString(dir.resolve("out/report.md")).contains("| strategy | final avg acc | BWT |"));
        for (String p : List.of("sequential.png", "replay.png", "multitask.png", "final.png")) {
            assertNotNull(javax.imageio.ImageIO.read(dir.resolve("out/plots").resolve(p).toFile()), p);
        }
    }

    /** The sequential baseline can chain its steps as ADAPT-∞ does: step 1 merges step 0's adapter and trains a fresh one. */
    @Test
    void sequentialFineTuningCanMergeBetweenSteps() throws IOException {
        LifelongRun run = new LifelongRun(tasks, dir.resolve("seq-merge"), new LifelongRun.Settings(0, false), AnswerScorers.standard(), this::base);
        run.run("sequential", work -> new SequentialFineTuning(session(), LoraConfig.llm(4, 8, 0f), TRAIN, 6, 1, 4, 3, true, work), null);
        Path s = dir.resolve("seq-merge/strategies/sequential");
        assertArrayEquals(Files.readAllBytes(s.resolve("steps/000/state/adapter/adapter_model.safetensors")),
                Files.readAllBytes(s.resolve("work/merged/000/adapter_model.safetensors")), "step 1 merged step 0's adapter");
        JsonNode chain = new ObjectMapper().readTree(s.resolve("steps/001/state/merged.json").toFile()).get("merged");
        assertEquals(1, chain.size());
        assertEquals(0, chain.get(0).get("step").asInt());
        assertEquals(0, new ObjectMapper().readTree(s.resolve("steps/000/state/merged.json").toFile()).get("merged").size());
    }

    /**
     * The base model answers every task once per run, before any strategy trains: the opener is called once for two
     * strategies, the row starts both matrices, and a run reopened on the same folder reads zero_shot/ instead of
     * opening the model again; forward transfer is computed against it (GEM, with evaluate_future).
     */
    @Test
    void theZeroShotRowIsEvaluatedOncePerRun() throws IOException {
        int[] opened = {0};
        BaseModel.Opener counting = () -> {
            opened[0]++;
            return base();
        };
        LifelongRun run = new LifelongRun(tasks, dir.resolve("zs"), new LifelongRun.Settings(0, true), AnswerScorers.standard(), counting);
        LifelongRun.Result seq = run.run("sequential", factory("sequential", run), null);
        LifelongRun.Result replay = run.run("replay", factory("replay", run), null);
        assertEquals(1, opened[0]);
        double[] zero = seq.matrix().zeroShot();
        assertNotNull(zero);
        assertArrayEquals(zero, replay.matrix().zeroShot(), 0);
        assertEquals(4, Files.readAllLines(dir.resolve("zs/zero_shot/predictions/Colour.jsonl")).size(), "the base model's answers are kept");
        assertTrue(Files.readAllLines(dir.resolve("zs/strategies/sequential/steps/000/accuracy_matrix.csv")).get(1).startsWith("zero-shot,"));
        double fwt = (seq.matrix().get(0, 1) - zero[1]) / 1;                                  // T = 2: one term, A[0][1] - b_1
        assertEquals(fwt, dev.perennial.eval.ContinualMetrics.forwardTransfer(seq.matrix()), 1e-12);

        LifelongRun reopened = new LifelongRun(tasks, dir.resolve("zs"), new LifelongRun.Settings(0, true), AnswerScorers.standard(), counting);
        assertArrayEquals(zero, reopened.run("sequential", factory("sequential", reopened), null).matrix().zeroShot(), 0);
        assertEquals(1, opened[0], "read from zero_shot/, not evaluated again");

        List<Task> other = List.of(tasks.get(1), tasks.get(0));
        IOException e = assertThrows(IOException.class, () -> new LifelongRun(other, dir.resolve("zs"), new LifelongRun.Settings(0, true),
                AnswerScorers.standard(), counting).zeroShot());
        assertTrue(e.getMessage().contains("holds the zero-shot accuracies of the tasks [Colour, Count], this run has [Count, Colour]"), e.getMessage());
    }

    @Test
    void aKilledRunResumesToTheSameMatrix() throws IOException {
        LifelongRun whole = new LifelongRun(tasks, dir.resolve("whole"), new LifelongRun.Settings(0, true), AnswerScorers.standard(), this::base);
        LifelongRun.Result expected = whole.run("replay", factory("replay", whole), null);

        LifelongRun cut = new LifelongRun(tasks, dir.resolve("cut"), new LifelongRun.Settings(0, true), AnswerScorers.standard(), this::base);
        class Killed extends RuntimeException {}
        assertThrows(Killed.class, () -> cut.run("replay", factory("replay", cut), (s, step, task, acc, sec) -> { throw new Killed(); }));
        assertTrue(Files.isDirectory(dir.resolve("cut/strategies/replay/steps/000")));
        assertFalse(Files.exists(dir.resolve("cut/strategies/replay/steps/001")));
        LifelongRun.Result resumed = new LifelongRun(tasks, dir.resolve("cut"), new LifelongRun.Settings(0, true), AnswerScorers.standard(), this::base)
                .run("replay", factory("replay", cut), null);
        for (int j = 0; j < 2; j++) assertArrayEquals(expected.matrix().row(j), resumed.matrix().row(j), 0, "row " + j);
        assertFalse(Double.isNaN(resumed.matrix().get(0, 1)), "evaluateFuture fills the upper triangle");
        assertEquals(Files.readString(dir.resolve("whole/strategies/replay/steps/001/predictions/Count.jsonl")),
                Files.readString(dir.resolve("cut/strategies/replay/steps/001/predictions/Count.jsonl")));
    }
}
