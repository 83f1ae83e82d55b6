/*
 * A lifelong run described in one JSON file: the model, the task sequence, the settings every strategy shares
 * (RunSettings) and the strategies to compare, each with its own typed settings (StrategySpec of a StrategyType
 * from Strategies). run() evaluates the base model once (the zero-shot row every strategy's matrix starts with), runs
 * (or resumes) every strategy with LifelongRun and writes the RunReport. Every strategy gets a fresh copy of the
 * model, the same tasks, the same budget of training samples per step and the same training settings, so their
 * numbers compare. The built-in demo is a preset of this plan (DemoCommand).
 *
 *   {"model": DIR, "tokenizer": FILE?, "template": "vicuna_v1", "max_length": 2048, "out": DIR,
 *    "tasks": {"coin": {"root": DIR, "images": DIR, "order": [names]?}} | {"shapes": DIR}
 *           | {"list": [{"name", "train", "test", "images", "scorer"}]},
 *    "strategies": ["sequential", "replay", "multitask", "adapt-inf", "modalprompt"],
 *    "budget": 500, "epochs": 1, "batch": 4, "lr": 2e-4, "seed": 0,
 *    "lora": {"rank": 128, "alpha": 256, "dropout": 0.05, "train_projector": false, "projector_lr": 2e-5},
 *    "sequential": {"merge_between_steps": false},
 *    "replay": {"memory": 1000, "fraction": 0.3},
 *    "adapt_inf": {"clusters": 10, "dim": 8192, "pool_cap": 5000, "merge_between_steps": true, "n_init": 10},
 *    "modalprompt": {"clip": DIR, "prompts": 3, "prompt_length": 10, "lambda": 0.5, "lr": 2e-4},
 *    "test_limit": 0, "evaluate_future": false, "answer_batch": 8, "max_new_tokens": 64}
 *
 * Relative paths are resolved against the config file's folder. Unknown keys, at any depth, and wrong types are
 * errors naming the key ("lora.rnak", "tasks.list[0].trian"), so a typo cannot silently fall back to a default.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.eval.AnswerScorers;
import dev.perennial.tensor.Backend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A lifelong run read from one JSON run file: model and tokenizer folders, conversation template, maximum sequence
 * length in tokens, output folder, the task sequence, the settings every strategy shares and the strategies to
 * compare. {@code run} runs or resumes each strategy with {@link LifelongRun} and writes the comparison report.
 * <p>Immutable; safe to share between threads (a record of paths, strings, numbers, copied lists and settings
 * records; a custom strategy's settings must be immutable too). {@code run} writes the output folder, so do not run
 * the same plan twice at once.
 */
public record RunPlan(Path model, Path tokenizer, String template, int maxLength, Path out, List<Task> tasks, RunSettings common,
                      List<StrategySpec<?>> strategies) {
    private static final Set<String> MODEL_KEYS = Set.of("model", "tokenizer", "template", "max_length", "out", "tasks", "strategies");

    public RunPlan {
        tasks = List.copyOf(tasks);
        strategies = List.copyOf(strategies);
        Set<String> seen = new HashSet<>();
        for (StrategySpec<?> s : strategies) if (!seen.add(s.name())) throw new IllegalArgumentException("strategy " + s.name() + " is listed twice");
        if (strategies.isEmpty()) throw new IllegalArgumentException("a run needs at least one strategy");
    }

    /** The strategies' names, in run order. */
    public List<String> strategyNames() { return strategies.stream().map(StrategySpec::name).toList(); }

    /** Reads a run file (see the class comment) with the standard strategies. */
    public static RunPlan read(Path file) throws IOException {
        return read(file, Strategies.standard());
    }

    /** Reads a run file whose strategies come from {@code registry}. */
    public static RunPlan read(Path file, Strategies registry) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());   // not "not valid JSON"
        JsonNode r;
        try {
            r = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw failure(file, "not valid JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw failure(file, "not valid JSON: " + e.getMessage(), e);
        }
        if (r == null || !r.isObject()) throw new IOException(file + ": a run file is a JSON object");
        try {
            return parse(r, file.toAbsolutePath().getParent(), registry);
        } catch (IllegalArgumentException | IOException e) {   // IOException: a task folder that is not there
            throw failure(file, e.getMessage(), e);
        }
    }

    /** The one-line error about run file {@code file}: keys and values quoted from it may hold line breaks. */
    private static IOException failure(Path file, String detail, Exception cause) {
        return new IOException((file + ": " + detail).replaceAll("\\p{Cntrl}+", " "), cause);
    }

    static RunPlan parse(JsonNode node, Path base) throws IOException {
        return parse(node, base, Strategies.standard());
    }

    static RunPlan parse(JsonNode node, Path base, Strategies registry) throws IOException {
        JsonSettings r = new JsonSettings(node, "", base);
        Set<String> keys = new HashSet<>(MODEL_KEYS);
        keys.addAll(RunSettings.KEYS);
        keys.addAll(registry.settingsKeys());
        r.known(keys);
        List<String> names = new ArrayList<>();
        if (node.has("strategies")) {
            if (!node.get("strategies").isArray()) throw new IllegalArgumentException("\"strategies\" must be a list of names");
            for (JsonNode s : node.get("strategies")) {
                if (!s.isTextual()) throw new IllegalArgumentException("\"strategies\" must be a list of names, got " + s);
                names.add(s.asText());
            }
        } else {
            names.addAll(Strategies.DEFAULT_RUN);
        }
        Path model = r.path("model", true), tokenizer = r.path("tokenizer", false), out = r.path("out", true);
        String template = r.string("template", "vicuna_v1");
        int maxLength = r.integer("max_length", 2048);
        if (maxLength < 1) throw new IllegalArgumentException("\"max_length\" must be at least 1, got " + maxLength);
        RunSettings common = RunSettings.parse(r);
        List<Task> tasks = tasks(base, node.get("tasks"));
        for (String name : names) registry.type(name);                   // an unknown name before any strategy's settings
        return new RunPlan(model, tokenizer, template, maxLength, out, tasks, common, registry.specs(names, r));
    }

    private static List<Task> tasks(Path base, JsonNode t) throws IOException {
        if (t == null || !t.isObject()) throw new IllegalArgumentException("\"tasks\" must be an object: {\"coin\": ...}, {\"shapes\": DIR} or {\"list\": [...]}");
        if (!t.has("coin") && !t.has("shapes") && !t.has("list")) throw new IllegalArgumentException("\"tasks\" needs \"coin\", \"shapes\" or \"list\"");
        JsonSettings tasks = new JsonSettings(t, "tasks.", base).known(Set.of("coin", "shapes", "list"));
        if (t.size() > 1) {                                                    // the others would be ignored without a word
            throw new IllegalArgumentException("\"tasks\" holds " + t.size() + " task sources; give one of \"coin\", \"shapes\" or \"list\"");
        }
        if (t.has("shapes")) return TaskStreams.shapes(tasks.path("shapes", true));
        if (t.has("coin")) {
            JsonSettings c = tasks.object("coin").known(Set.of("root", "images", "order"));
            List<String> order = new ArrayList<>();
            if (c.has("order")) for (JsonNode o : c.node().get("order")) order.add(o.asText());
            else order.addAll(TaskStreams.COIN_ORDER);
            return TaskStreams.coin(c.path("root", true), c.path("images", true), order);
        }
        if (!t.get("list").isArray()) throw new IllegalArgumentException("\"tasks.list\" must be a list of task objects");
        List<Task> out = new ArrayList<>();
        int i = 0;
        for (JsonNode x : t.get("list")) {
            if (!x.isObject()) throw new IllegalArgumentException("\"tasks.list[" + i + "]\" must be an object");
            JsonSettings item = new JsonSettings(x, "tasks.list[" + i++ + "].", base).known(Set.of("name", "train", "test", "images", "scorer"));
            out.add(new Task(item.string("name", null), item.path("train", true), item.path("test", true), item.path("images", true),
                    item.string("scorer", "exact")));
        }
        return out;
    }

    /** Runs (or resumes) every strategy and writes the report; returns the comparison lines. */
    public List<RunReport.Line> run(Backend be, LifelongRun.Listener listener) throws IOException {
        dev.perennial.llava.LlavaConfig base = dev.perennial.llava.LlavaConfig.load(model);
        for (StrategySpec<?> spec : strategies) spec.checkModel(base);     // before any strategy (or the zero-shot row) runs
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : model);
        ConversationTemplate tpl = ConversationTemplate.named(template);
        LifelongRun run = new LifelongRun(tasks, out, new LifelongRun.Settings(common.testLimit(), common.evaluateFuture()),
                AnswerScorers.standard(), () -> BaseModel.of(new ModelSession(model, tok, tpl, be, maxLength), common.answerBatch(),
                        common.maxNewTokens()));
        StrategyContext.TrainingSamples samples = step -> {
            try {
                return run.training(step);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        List<LifelongRun.Result> results = new ArrayList<>();
        for (StrategySpec<?> spec : strategies) {
            LifelongRun.StrategyFactory f = work -> spec.create(new StrategyContext(new ModelSession(model, tok, tpl, be, maxLength),
                    common, work, tasks, samples));
            results.add(run.run(spec.name(), f, listener));
        }
        return RunReport.write(out, results);
    }
}
