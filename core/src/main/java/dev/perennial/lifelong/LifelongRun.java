/*
 * One strategy through a task sequence: for step j = 0..T-1 the strategy learns task j, then every
 * task seen so far (and, with evaluateFuture, the later ones too) is answered and scored on its held-out test split,
 * giving row j of the accuracy matrix. Each finished step is committed as a folder:
 *
 *   <out>/strategies/<name>/steps/NNN/   state/ (Strategy.save), accuracy_matrix.csv (rows 0..j), step.json (task,
 *                                        training samples, losses, seconds, accuracies), predictions/<task>.jsonl
 *
 * written as NNN.partial and renamed when complete, so a killed run leaves either a whole step or none. Starting
 * again finds the last complete step, restores the strategy's state from it and continues; since every step draws
 * from generators seeded by (seed, step), the resumed run produces the same matrix as an uninterrupted one.
 *
 * Before any training, the run's base model answers every task once (BaseModel): the zero-shot row, the first row of
 * every strategy's matrix (accuracy_matrix.csv's "zero-shot" line) and the baseline of forward transfer. All
 * strategies of a run start from the same checkpoint, so it is evaluated once per run, before the first strategy
 * loads its model, and committed like a step:
 *
 *   <out>/zero_shot/                     zero_shot.json ({"accuracies": {task: fraction}}), predictions/<task>.jsonl
 *
 * (written as zero_shot.partial and renamed), so a resumed run or a later strategy reads it instead of evaluating
 * again; a folder that holds the row of other tasks is refused.
 *
 * The strategy's working folder (<out>/strategies/<name>/work: a data pool, a prompt pool) may have moved past the
 * last complete step when the process died inside a step. Restoring a step's state puts it back; with no complete
 * step there is nothing to restore from, so the working folder is deleted and the strategy starts from nothing.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.eval.AccuracyMatrix;
import dev.perennial.eval.AnswerScorer;
import dev.perennial.eval.AnswerScorers;
import dev.perennial.eval.Reference;
import dev.perennial.eval.TaskAccuracy;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs one continual-learning strategy through a task sequence: at step j the strategy learns task j, then every task
 * seen so far (optionally the later ones too) is answered and scored on its test split, giving row j of the accuracy
 * matrix (fractions in [0, 1], NaN where not evaluated; step times in seconds). Before any step the matrix gets the
 * zero-shot row, the base model's accuracy on every task, evaluated once per run ({@code zeroShot}). Each step is
 * committed as a folder, so a killed run resumes after its last complete step with the same results.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it caches test records in an
 * unsynchronized {@code HashMap}, and {@code run} writes the strategy's folders under the output folder.
 */
public final class LifelongRun {
    private static final Logger log = LoggerFactory.getLogger(LifelongRun.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Creates the strategy, given its working folder (for state that outlives steps, e.g. a prompt pool). */
    @FunctionalInterface
    public interface StrategyFactory {
        Strategy create(Path workDir) throws IOException;
    }

    /** Told after each finished step (e.g. the CLI's progress line). */
    @FunctionalInterface
    public interface Listener {
        void step(String strategy, int step, Task task, double[] accuracies, double seconds);
    }

    /**
     * What one strategy's run gave.
     * @param seconds total wall time of its steps (training and evaluation), resumed steps included
     */
    public record Result(String strategy, AccuracyMatrix matrix, List<Strategy.StepOutcome> steps, double seconds) {
        public int trainingSamples() {
            return steps.stream().mapToInt(Strategy.StepOutcome::trainingSamples).sum();
        }
    }

    /**
     * @param testLimit      at most this many test records per task are evaluated (the first ones; 0 = all)
     * @param evaluateFuture also evaluate tasks not trained yet (forward transfer)
     */
    public record Settings(int testLimit, boolean evaluateFuture) {}

    /** The zero-shot folder in the run's output folder, and its accuracies file. */
    static final String ZERO_SHOT_DIR = "zero_shot", ZERO_SHOT_FILE = "zero_shot.json";

    private final List<Task> tasks;
    private final Path out;
    private final Settings settings;
    private final AnswerScorers scorers;
    private final BaseModel.Opener baseModel;
    private final Map<String, List<TestRecord>> tests = new HashMap<>();
    private double[] zeroShot;                                       // (tasks), once evaluated or read

    /** @param baseModel opens the run's untrained model for the zero-shot row (only when the run folder lacks it) */
    public LifelongRun(List<Task> tasks, Path out, Settings settings, AnswerScorers scorers, BaseModel.Opener baseModel) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("a run needs at least one task");
        if (baseModel == null) throw new IllegalArgumentException("a run needs its base model for the zero-shot row");
        this.tasks = List.copyOf(tasks);
        this.out = out;
        this.settings = settings;
        this.scorers = scorers;
        this.baseModel = baseModel;
        for (Task t : tasks) scorers.get(t.scorer());                                  // unknown scorer names fail now
    }

    /**
     * The base model's accuracy on every task before any training (fractions, task order): read from the run folder's
     * zero_shot/ when an earlier strategy or an interrupted run committed it, else evaluated now and committed.
     */
    public double[] zeroShot() throws IOException {
        if (zeroShot != null) return zeroShot.clone();
        Path dir = out.resolve(ZERO_SHOT_DIR), file = dir.resolve(ZERO_SHOT_FILE);
        double[] row = new double[tasks.size()];
        if (Files.isRegularFile(file)) {
            JsonNode acc = JSON.readTree(file.toFile()).path("accuracies");
            List<String> names = new ArrayList<>();
            acc.fieldNames().forEachRemaining(names::add);
            List<String> ours = tasks.stream().map(Task::name).toList();
            if (!names.equals(ours)) {
                throw new IOException(file + " holds the zero-shot accuracies of the tasks " + names + ", this run has " + ours
                        + ": use another output folder");
            }
            for (int i = 0; i < row.length; i++) {
                JsonNode v = acc.get(ours.get(i));
                if (!v.isNumber()) throw new IOException(file + ": the zero-shot accuracy of " + ours.get(i) + " is not a number: " + v);
                row[i] = v.doubleValue();
            }
        } else {
            Path partial = out.resolve(ZERO_SHOT_DIR + ".partial");
            FileTrees.delete(partial);
            Files.createDirectories(partial.resolve("predictions"));
            long t0 = System.nanoTime();
            log.info("zero-shot: the base model answers the test records of all {} tasks before any training", tasks.size());
            try (BaseModel base = baseModel.open()) {
                for (int i = 0; i < tasks.size(); i++) {
                    row[i] = evaluate(base::answer, tasks.get(i), partial.resolve("predictions").resolve(tasks.get(i).name() + ".jsonl"));
                }
            }
            ObjectNode root = JSON.createObjectNode();
            ObjectNode acc = root.putObject("accuracies");
            for (int i = 0; i < tasks.size(); i++) acc.put(tasks.get(i).name(), row[i]);
            AtomicFiles.write(partial.resolve(ZERO_SHOT_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            AtomicFiles.rename(partial, dir);
            log.info(String.format(Locale.ROOT, "zero-shot (the base model on every task) done in %.1f s", (System.nanoTime() - t0) / 1e9));
        }
        zeroShot = row;
        return row.clone();
    }

    /** The training conversations of task {@code step} (read on demand; strategies reload earlier tasks this way). */
    public List<LlavaSample> training(int step) throws IOException {
        List<LlavaSample> out = new ArrayList<>();
        try (LlavaJsonReader r = LlavaJsonReader.open(tasks.get(step).train(), InvalidSamples.FAIL)) {
            for (LlavaSample s = r.read(); s != null; s = r.read()) out.add(s);
        }
        return out;
    }

    private List<TestRecord> test(Task t) throws IOException {
        List<TestRecord> r = tests.get(t.name());
        if (r == null) {
            r = TestRecords.read(t.test());
            if (settings.testLimit() > 0 && r.size() > settings.testLimit()) r = List.copyOf(r.subList(0, settings.testLimit()));
            tests.put(t.name(), r);
        }
        return r;
    }

    /** Runs (or resumes) one strategy over every task. */
    public Result run(String name, StrategyFactory factory, Listener listener) throws IOException {
        double[] zero = zeroShot();                        // before the strategy loads its model: one model at a time
        Path dir = out.resolve("strategies").resolve(name), steps = dir.resolve("steps");
        Files.createDirectories(steps);
        int done = lastCompleteStep(steps);
        AccuracyMatrix matrix = new AccuracyMatrix(tasks.stream().map(Task::name).toList());
        List<Strategy.StepOutcome> outcomes = new ArrayList<>();
        double seconds = 0;
        Path work = dir.resolve("work");
        if (done < 0) FileTrees.delete(work);               // left by a step that never completed: start clean
        try (Strategy strategy = factory.create(Files.createDirectories(work))) {
            if (done >= 0) {
                Path last = steps.resolve(stepName(done));
                matrix = AccuracyMatrix.readCsv(last.resolve("accuracy_matrix.csv"));   // steps of older runs lack the zero-shot row
                for (int j = 0; j <= done; j++) {
                    JsonNode s = JSON.readTree(steps.resolve(stepName(j)).resolve("step.json").toFile());
                    outcomes.add(new Strategy.StepOutcome(s.path("training_samples").asInt(), s.path("first_loss").asDouble(Double.NaN),
                            s.path("last_loss").asDouble(Double.NaN)));
                    seconds += s.path("seconds").asDouble();
                }
                strategy.restore(last.resolve("state"), done);
                log.info("{}: resuming after step {} ({})", name, done, tasks.get(done).name());
            }
            matrix.setZeroShot(zero);
            for (int j = done + 1; j < tasks.size(); j++) {
                long t0 = System.nanoTime();
                Task task = tasks.get(j);
                Strategy.StepOutcome outcome = strategy.learn(j, task, training(j));
                Path partial = steps.resolve(stepName(j) + ".partial");
                FileTrees.delete(partial);
                Files.createDirectories(partial.resolve("predictions"));
                double[] row = new double[tasks.size()];
                for (int i = 0; i < tasks.size(); i++) {
                    if (i > j && !settings.evaluateFuture()) {
                        row[i] = Double.NaN;
                        continue;
                    }
                    row[i] = evaluate(strategy::answer, tasks.get(i), partial.resolve("predictions").resolve(tasks.get(i).name() + ".jsonl"));
                }
                matrix.addRow(row);
                double s = (System.nanoTime() - t0) / 1e9;
                seconds += s;
                outcomes.add(outcome);
                strategy.save(Files.createDirectories(partial.resolve("state")));
                matrix.writeCsv(partial.resolve("accuracy_matrix.csv"));
                ObjectNode step = JSON.createObjectNode();
                step.put("step", j);
                step.put("task", task.name());
                step.put("training_samples", outcome.trainingSamples());
                putNumber(step, "first_loss", outcome.firstLoss());
                putNumber(step, "last_loss", outcome.lastLoss());
                step.put("seconds", s);
                ObjectNode acc = step.putObject("accuracies");
                for (int i = 0; i < tasks.size(); i++) putNumber(acc, tasks.get(i).name(), row[i]);
                if (strategy instanceof PromptPoolStrategy mp && mp.selections() != null) step.set("prompt_selection", JSON.valueToTree(mp.selections().report()));
                AtomicFiles.write(partial.resolve("step.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(step));
                AtomicFiles.rename(partial, steps.resolve(stepName(j)));
                log.info(String.format(Locale.ROOT, "%s: step %d (%s) done in %.1f s", name, j, task.name(), s));
                if (listener != null) listener.step(name, j, task, row, s);
            }
        }
        matrix.writeCsv(dir.resolve("accuracy_matrix.csv"));
        return new Result(name, matrix, outcomes, seconds);
    }

    /** What answers a task's test records: a strategy, or the base model. */
    @FunctionalInterface
    private interface Answers {
        List<String> of(Task task, List<TestRecord> records) throws IOException;
    }

    /** Answers and scores one task's test split, writing the predictions; returns the accuracy. */
    private double evaluate(Answers answering, Task task, Path predictions) throws IOException {
        List<TestRecord> records = test(task);
        List<String> answers = answering.of(task, records);
        AnswerScorer scorer = scorers.get(task.scorer());
        List<Reference> refs = records.stream().map(TestRecord::reference).toList();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < records.size(); i++) {
            ObjectNode o = JSON.createObjectNode();
            o.put("question_id", records.get(i).id());
            o.put("answer", answers.get(i));
            o.put("score", answers.get(i) == null ? 0 : scorer.score(answers.get(i), refs.get(i)));
            sb.append(JSON.writeValueAsString(o)).append('\n');
        }
        AtomicFiles.write(predictions, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return TaskAccuracy.of(scorer, refs, answers);
    }

    static String stepName(int j) { return String.format(Locale.ROOT, "%03d", j); }

    /** The highest step whose folder is complete (no ".partial" suffix), or -1. */
    static int lastCompleteStep(Path steps) throws IOException {
        int last = -1;
        try (Stream<Path> s = Files.list(steps)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.matches("\\d{3}") && Files.isRegularFile(p.resolve("step.json"))) last = Math.max(last, Integer.parseInt(n));
            }
        }
        for (int j = 0; j <= last; j++) {
            if (!Files.isDirectory(steps.resolve(stepName(j)))) throw new IOException(steps + ": step " + j + " is missing but step " + last + " exists");
        }
        return last;
    }

    private static void putNumber(ObjectNode o, String k, double v) {
        if (Double.isNaN(v)) o.putNull(k);
        else o.put(k, v);
    }

}
