/*
 * `perennial demo`: the main job on the embedded default. It writes the built-in shapes benchmark
 * (six skills as separate tasks, held-out test splits), a random CLIP for ModalPrompt's queries (SyntheticClip with
 * OpenAI's CLIP vocabulary, shipped as a resource), and runs sequential fine-tuning, random replay, ADAPT-∞ and
 * ModalPrompt over the tasks with the same per-step budget on the tiny base model, then prints the accuracy
 * matrices and the comparison table and writes metrics.json, accuracy_matrix.csv, report.md and plots/ to --out.
 * The base model is pre-trained by the library itself: `perennial demo --build-base` writes it to <out>/base (a
 * build may ship one as the resource demo-base/, used when <out>/base has none); --base points at another copy.
 * --quick runs three tasks on smaller splits. The defaults (same samples and epochs per step for every strategy,
 * each method's own learning rate, ModalPrompt with K = 1) are measured in docs/performance.md, "Lifelong demo".
 */
package dev.perennial.cli;

import dev.perennial.benchdata.SyntheticClip;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.OutputFolder;
import dev.perennial.lifelong.AdaptInfStrategy;
import dev.perennial.lifelong.DualPromptStrategy;
import dev.perennial.lifelong.L2pStrategy;
import dev.perennial.lifelong.ModalPromptStrategy;
import dev.perennial.lifelong.PromptProtocol;
import dev.perennial.lifelong.SPromptsStrategy;
import dev.perennial.lifelong.MultiTaskTraining;
import dev.perennial.lifelong.RandomReplay;
import dev.perennial.lifelong.RunPlan;
import dev.perennial.lifelong.RunSettings;
import dev.perennial.lifelong.SequentialFineTuning;
import dev.perennial.lifelong.Strategies;
import dev.perennial.lifelong.StrategySpec;
import dev.perennial.lifelong.TaskStreams;
import dev.perennial.benchdata.shapes.DemoBaseModel;
import dev.perennial.benchdata.shapes.ShapesBenchmark;
import dev.perennial.benchdata.shapes.Skill;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the built-in lifelong benchmark through sequential fine-tuning, replay, ADAPT-∞ and ModalPrompt.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "perennial-demo", description = "Output folder (default ./perennial-demo).")
    Path out;

    @Option(names = "--base", description = "Base model folder (default: <out>/base, written by --build-base).")
    Path base;

    @Option(names = "--build-base", description = "Pre-train the tiny base model into the base folder and stop.")
    boolean buildBase;

    @Option(names = "--quick", description = "Three tasks on smaller splits.")
    boolean quick;

    @Option(names = "--strategies", split = ",", description = "Strategies to run (default sequential,replay,adapt-inf,modalprompt).")
    List<String> strategies;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the benchmark's items and of every strategy (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--train-per-task", description = "Training conversations per task (default 300; --quick 120).") Integer trainPerTask;
    @Option(names = "--test-per-task", description = "Held-out test questions per task (default 50; --quick 40).") Integer testPerTask;
    @Option(names = "--budget", description = "Training samples per step (default 100; --quick 80).") Integer budget;
    @Option(names = "--epochs", defaultValue = "3", description = "Passes over each step's samples (default 3).") int epochs;
    @Option(names = "--lr", defaultValue = "3e-3", description = "LoRA learning rate (default 3e-3).") double lr;
    @Option(names = "--prompt-lr", defaultValue = "0.1", description = "ModalPrompt's learning rate (default 0.1).") double promptLr;
    @Option(names = "--prompts", defaultValue = "1", description = "ModalPrompt's prompts selected per sample, K (default 1).") int prompts;
    @Option(names = "--prompt-length", defaultValue = "" + ModalPromptStrategy.Settings.PROMPT_LENGTH,
            description = "ModalPrompt's prompt tokens per task (default ${DEFAULT-VALUE}).") int promptLength;

    @Mixin
    BackendOption backend;

    @Mixin
    OutputGuard guard;

    @Override
    public Integer call() throws Exception {
        validate();
        try (OutputFolder folder = OutputFolder.lock(out, "demo")) {
            if (buildBase) return demo(null);                                     // writes only the base folder (resumable itself)
            Fingerprint settings = Fingerprint.builder().put("base", base == null ? "bundled or <out>/base" : OutputGuard.path(base))
                    .put("quick", quick).put("strategies", strategies).put("seed", seed).put("train-per-task", trainPerTask)
                    .put("test-per-task", testPerTask).put("budget", budget).put("epochs", epochs).put("lr", lr).put("prompt-lr", promptLr)
                    .put("prompts", prompts).put("prompt-length", promptLength).build();
            // an interrupted demo resumes, a finished one is shown again; other settings need --overwrite (the base stays)
            folder.start(settings, true, guard.overwrite, Set.of("base"));
            demo(folder);
        }
        return 0;
    }

    /** Every option is checked before any work starts (a bad --prompts used to fail after 90 s of training). */
    private void validate() {
        positive("--epochs", epochs);
        positive("--prompts", prompts);
        positive("--prompt-length", promptLength);
        if (budget != null) positive("--budget", budget);
        if (trainPerTask != null) positive("--train-per-task", trainPerTask);
        if (testPerTask != null) positive("--test-per-task", testPerTask);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
        if (!(promptLr > 0) || !Double.isFinite(promptLr)) throw new IllegalArgumentException("--prompt-lr must be a positive number, got " + promptLr);
        if (strategies != null) {
            Strategies known = Strategies.standard();
            for (String s : strategies) {
                try {
                    known.type(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--strategies: " + e.getMessage());
                }
            }
        }
    }

    private static void positive(String option, int value) {
        if (value < 1) throw new IllegalArgumentException(option + " must be at least 1, got " + value);
    }

    private int demo(OutputFolder folder) throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        Path baseDir = base != null ? base : out.resolve("base");
        if (buildBase) {
            long t0 = System.nanoTime();
            ProgressReporter progress = ProgressReporter.on(stderr, "base model", "steps");
            DemoBaseModel.build(baseDir, DemoBaseModel.Settings.defaults(), backend.backend(), (step, total, loss, rate, eta) ->
                    progress.update(step, total, String.format(Locale.ROOT, "loss %.4f %.1f samples/s ETA %.0fs", loss, rate, eta)));
            progress.finish();
            stdout.printf(Locale.ROOT, "base model written to %s in %.0f s%n", baseDir, (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        if (!Files.isRegularFile(baseDir.resolve("model.safetensors")) && base == null) bundledBase(baseDir);
        if (!Files.isRegularFile(baseDir.resolve("model.safetensors"))) {
            throw new IllegalArgumentException("no base model in " + baseDir + ": run `perennial demo --build-base` first (up to about 50 minutes on 2 cores), or pass --base DIR");
        }
        List<Skill> skills = quick ? List.of(Skill.COLOUR, Skill.SHAPE, Skill.COUNT) : Arrays.asList(Skill.values());
        ShapesBenchmark.Settings bench = new ShapesBenchmark.Settings(32, trainPerTask != null ? trainPerTask : quick ? 120 : 300,
                testPerTask != null ? testPerTask : quick ? 40 : 50, seed, skills);
        Path benchDir = out.resolve("benchmark");
        ShapesBenchmark.write(benchDir, bench);
        Path clip = clip(out.resolve("clip"));
        int perStep = budget != null ? budget : quick ? 80 : 100;
        List<String> chosen = strategies != null ? strategies : Strategies.DEFAULT_RUN;
        // the demo's preset: the run plan a run file would give, with settings tuned for the tiny base model (every
        // value explicit, none taken from the run-file defaults, which follow the paper's recipe): LoRA r 8 / α 16 without
        // dropout, K = 6 clusters of 256-dimensional vectors, and one adapter across the steps for ADAPT-∞ as for the
        // baselines (the protocol of the results recorded in docs/performance.md, "Lifelong demo")
        RunSettings common = RunSettings.defaults().withBudget(perStep).withEpochs(epochs).withBatch(8).withLr(lr).withSeed(seed)
                .withLora(8, 16f, 0f).withAnswers(20, 16);
        Map<String, StrategySpec<?>> preset = new LinkedHashMap<>();
        for (StrategySpec<?> s : List.of(SequentialFineTuning.TYPE.with(new SequentialFineTuning.Settings(false)),
                RandomReplay.TYPE.with(new RandomReplay.Settings(perStep, 0.3)), MultiTaskTraining.TYPE.with(null),
                AdaptInfStrategy.TYPE.with(new AdaptInfStrategy.Settings(6, 256, 3 * perStep, false, AdaptInfStrategy.Settings.defaults().nInit())),
                // the demo trains every method on the same budget and epochs (PromptProtocol.sharedBudget; run files
                // default to the papers' protocol); the prompt baselines use the demo's prompt length and learning rate
                ModalPromptStrategy.TYPE.with(new ModalPromptStrategy.Settings(clip, prompts, promptLength, ModalPromptStrategy.Settings.LAMBDA,
                        promptLr, PromptProtocol.sharedBudget())),
                L2pStrategy.TYPE.with(new L2pStrategy.Settings(clip, 10, 5, promptLength, 0.5f, promptLr, PromptProtocol.sharedBudget())),
                // DualPrompt's layers cut to the demo model's 4 decoder layers: G in 0-1 (the paper's), E in 2-3
                // (the paper's 2-4 less the missing layer 4); the run-file defaults' lengths Lg = 6, Le = 20
                DualPromptStrategy.TYPE.with(new DualPromptStrategy.Settings(clip, List.of(0, 1), 6, List.of(2, 3), 20, promptLr,
                        PromptProtocol.sharedBudget())),
                SPromptsStrategy.TYPE.with(new SPromptsStrategy.Settings(clip, promptLength, 5, promptLr, PromptProtocol.sharedBudget())))) {
            preset.put(s.name(), s);
        }
        RunPlan plan = new RunPlan(baseDir, baseDir.resolve("tokenizer.json"), DemoBaseModel.TEMPLATE, 256, out.resolve("run"),
                TaskStreams.shapes(benchDir), common, chosen.stream().<StrategySpec<?>>map(preset::get).toList());
        RunCommand.print(stdout, stderr, plan, backend);
        folder.finish();
        return 0;
    }

    /** Copies the pre-trained base model shipped in this jar (resources demo-base/) to dir, when the build has one. */
    private static void bundledBase(Path dir) throws Exception {
        List<String> files = List.of("config.json", "tokenizer.json", "model.safetensors");
        if (DemoCommand.class.getResource("demo-base/model.safetensors") == null) return;
        Files.createDirectories(dir);
        for (String f : files) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("demo-base/" + f)) {
                if (in == null) throw new IllegalStateException("the bundled base model lacks " + f);
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** A random CLIP with OpenAI's vocabulary (resources) for ModalPrompt's queries; written once. */
    private Path clip(Path dir) throws Exception {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) return dir;
        Path vocab = Files.createDirectories(out.resolve("clip-vocab"));
        for (String f : List.of("vocab.json", "merges.txt")) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("clip-vocab/" + f)) {
                if (in == null) throw new IllegalStateException("the CLIP vocabulary resource " + f + " is missing from this build");
                Files.copy(in, vocab.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return SyntheticClip.write(dir, SyntheticClip.Shape.tiny(32), vocab, seed + 7);
    }
}
