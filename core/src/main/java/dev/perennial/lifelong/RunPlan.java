/*
 * A lifelong run described in one JSON file: the model, the task sequence, the strategies and
 * their parameters, the per-step budget, seeds and the output folder. run() runs (or resumes) every strategy with
 * LifelongRun and writes the RunReport. Every strategy gets a fresh copy of the model, the same tasks, the same
 * budget of training samples per step and the same training settings, so their numbers compare.
 *
 *   {"model": DIR, "tokenizer": FILE?, "template": "vicuna_v1", "max_length": 2048, "out": DIR,
 *    "tasks": {"coin": {"root": DIR, "images": DIR, "order": [names]?}} | {"shapes": DIR}
 *           | {"list": [{"name", "train", "test", "images", "scorer"}]},
 *    "strategies": ["sequential", "replay", "multitask", "adapt-inf", "modalprompt"],
 *    "budget": 500, "epochs": 1, "batch": 4, "lr": 2e-4, "seed": 0,
 *    "lora": {"rank": 8, "alpha": 16, "dropout": 0.05},
 *    "replay": {"memory": 1000, "fraction": 0.3},
 *    "adapt_inf": {"clusters": 5, "dim": 8192, "pool_cap": 5000},
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
import dev.perennial.nn.LoraConfig;
import dev.perennial.prompt.PromptPoolConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

public record RunPlan(Path model, Path tokenizer, String template, int maxLength, Path out, List<Task> tasks, List<String> strategies,
                      int budget, int epochs, int batch, double lr, long seed, int loraRank, float loraAlpha, float loraDropout,
                      int replayMemory, double replayFraction, int clusters, int vectorDim, int poolCap, Path clip, int prompts,
                      int promptLength, float lambda, double promptLr, int testLimit, boolean evaluateFuture, int answerBatch,
                      int maxNewTokens) {
    public static final List<String> STRATEGIES = List.of("sequential", "replay", "multitask", "adapt-inf", "modalprompt");
    private static final Set<String> KEYS = Set.of("model", "tokenizer", "template", "max_length", "out", "tasks", "strategies", "budget",
            "epochs", "batch", "lr", "seed", "lora", "replay", "adapt_inf", "modalprompt", "test_limit", "evaluate_future",
            "answer_batch", "max_new_tokens");

    public RunPlan {
        tasks = List.copyOf(tasks);
        strategies = List.copyOf(strategies);
        for (String s : strategies) if (!STRATEGIES.contains(s)) throw new IllegalArgumentException("unknown strategy " + s + " (known: " + STRATEGIES + ")");
        if (strategies.contains("modalprompt") && clip == null) throw new IllegalArgumentException("the modalprompt strategy needs \"modalprompt\": {\"clip\": DIR}");
        if (budget < 1 || epochs < 1 || batch < 1) throw new IllegalArgumentException("budget, epochs and batch must be >= 1");
    }

    /** Reads a run file (see the class comment). */
    public static RunPlan read(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());   // not "not valid JSON"
        JsonNode r;
        try {
            r = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (r == null || !r.isObject()) throw new IOException(file + ": a run file is a JSON object");
        try {
            return parse(r, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    static RunPlan parse(JsonNode r, Path base) throws IOException {
        known(r, "", KEYS);
        JsonNode lora = obj(r, "lora"), replay = obj(r, "replay"), ai = obj(r, "adapt_inf"), mp = obj(r, "modalprompt");
        known(lora, "lora.", Set.of("rank", "alpha", "dropout"));
        known(replay, "replay.", Set.of("memory", "fraction"));
        known(ai, "adapt_inf.", Set.of("clusters", "dim", "pool_cap"));
        known(mp, "modalprompt.", Set.of("clip", "prompts", "prompt_length", "lambda", "lr"));
        List<String> strategies = new ArrayList<>();
        if (r.has("strategies")) for (JsonNode s : r.get("strategies")) strategies.add(s.asText());
        else strategies.addAll(List.of("sequential", "replay", "adapt-inf", "modalprompt"));
        return new RunPlan(path(base, r, "model", true), path(base, r, "tokenizer", false), str(r, "template", "vicuna_v1"),
                integer(r, "max_length", 2048), path(base, r, "out", true), tasks(base, r.get("tasks")), strategies,
                integer(r, "budget", 500), integer(r, "epochs", 1), integer(r, "batch", 4), number(r, "lr", 2e-4), integer(r, "seed", 0),
                integer(lora, "rank", 8), (float) number(lora, "alpha", 16), (float) number(lora, "dropout", 0.05),
                integer(replay, "memory", 1000), number(replay, "fraction", 0.3),
                integer(ai, "clusters", 5), integer(ai, "dim", 8192), integer(ai, "pool_cap", 5000),
                path(base, mp, "clip", false), integer(mp, "prompts", 3), integer(mp, "prompt_length", 10), (float) number(mp, "lambda", 0.5),
                number(mp, "lr", 2e-4), integer(r, "test_limit", 0), r.path("evaluate_future").asBoolean(false),
                integer(r, "answer_batch", 8), integer(r, "max_new_tokens", 64));
    }

    private static List<Task> tasks(Path base, JsonNode t) throws IOException {
        if (t == null || !t.isObject()) throw new IllegalArgumentException("\"tasks\" must be an object: {\"coin\": ...}, {\"shapes\": DIR} or {\"list\": [...]}");
        if (!t.has("coin") && !t.has("shapes") && !t.has("list")) throw new IllegalArgumentException("\"tasks\" needs \"coin\", \"shapes\" or \"list\"");
        known(t, "tasks.", Set.of("coin", "shapes", "list"));
        if (t.has("shapes")) return TaskStreams.shapes(base.resolve(t.get("shapes").asText()));
        if (t.has("coin")) {
            JsonNode c = obj(t, "coin");
            known(c, "tasks.coin.", Set.of("root", "images", "order"));
            List<String> order = new ArrayList<>();
            if (c.has("order")) for (JsonNode o : c.get("order")) order.add(o.asText());
            else order.addAll(TaskStreams.COIN_ORDER);
            return TaskStreams.coin(path(base, c, "root", true), path(base, c, "images", true), order);
        }
        if (t.has("list")) {
            List<Task> out = new ArrayList<>();
            int i = 0;
            for (JsonNode x : t.get("list")) {
                if (!x.isObject()) throw new IllegalArgumentException("\"tasks.list[" + i + "]\" must be an object");
                known(x, "tasks.list[" + i++ + "].", Set.of("name", "train", "test", "images", "scorer"));
                out.add(new Task(str(x, "name", null), path(base, x, "train", true), path(base, x, "test", true), path(base, x, "images", true),
                        str(x, "scorer", "exact")));
            }
            return out;
        }
        throw new IllegalArgumentException("\"tasks\" needs \"coin\", \"shapes\" or \"list\"");
    }

    /** Runs (or resumes) every strategy and writes the report; returns the comparison lines. */
    public List<RunReport.Line> run(Backend be, LifelongRun.Listener listener) throws IOException {
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : model);
        ConversationTemplate tpl = ConversationTemplate.named(template);
        AnswerScorers scorers = AnswerScorers.standard();
        LifelongRun run = new LifelongRun(tasks, out, new LifelongRun.Settings(testLimit, evaluateFuture), scorers);
        TrainConfig train = new TrainConfig(epochs, batch, 1, lr, 0, 0.03, 1.0, seed, -1, 0);
        LoraConfig lora = LoraConfig.llm(loraRank, loraAlpha, loraDropout);
        List<LifelongRun.Result> results = new ArrayList<>();
        for (String name : strategies) {
            LifelongRun.StrategyFactory f = work -> {
                ModelSession session = new ModelSession(model, tok, tpl, be, maxLength);
                return switch (name) {
                    case "sequential" -> new SequentialFineTuning(session, lora, train, budget, seed, answerBatch, maxNewTokens);
                    case "replay" -> new RandomReplay(session, lora, train, budget, seed, answerBatch, maxNewTokens, replayMemory, replayFraction,
                            (step, index) -> new LoraStrategy.Chosen(tasks.get(step), training(run, step).get(index)));
                    case "multitask" -> new MultiTaskTraining(session, lora, train, budget, seed, answerBatch, maxNewTokens,
                            step -> training(run, step).stream().map(s -> new LoraStrategy.Chosen(tasks.get(step), s)).toList());
                    case "adapt-inf" -> new AdaptInfStrategy(session, lora, train, budget, seed, answerBatch, maxNewTokens, work, clusters, vectorDim, poolCap,
                            (task, index) -> {
                                int step = indexOf(task);
                                return new LoraStrategy.Chosen(tasks.get(step), training(run, step).get(index));
                            });
                    case "modalprompt" -> new ModalPromptStrategy(session, clip, PromptPoolConfig.modalPrompt(prompts, promptLength, lambda,
                            modalPromptKeyDim(clip)), work.resolve("prompts"), train.withLearningRate(promptLr), budget, seed, answerBatch, maxNewTokens);
                    default -> throw new IllegalArgumentException(name);
                };
            };
            results.add(run.run(name, f, listener));
        }
        return RunReport.write(out, results);
    }

    private int indexOf(String task) {
        for (int i = 0; i < tasks.size(); i++) if (tasks.get(i).name().equals(task)) return i;
        throw new IllegalArgumentException("no task " + task);
    }

    private static int modalPromptKeyDim(Path clip) throws IOException {
        return dev.perennial.clip.ClipConfig.load(clip.resolve("config.json")).projectionDim();
    }

    private static List<dev.perennial.data.LlavaSample> training(LifelongRun run, int step) {
        try {
            return run.training(step);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every key of {@code node} must be one of {@code allowed}; a typo is named with its path ("lora.rnak"). */
    private static void known(JsonNode node, String path, Set<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) throw new IllegalArgumentException("unknown key \"" + path + k + "\" (known here: " + new java.util.TreeSet<>(allowed) + ")");
        }
    }

    private static JsonNode obj(JsonNode r, String k) {
        JsonNode n = r.get(k);
        if (n == null) return new ObjectMapper().createObjectNode();
        if (!n.isObject()) throw new IllegalArgumentException("\"" + k + "\" must be an object");
        return n;
    }

    private static Path path(Path base, JsonNode r, String k, boolean required) {
        JsonNode n = r.get(k);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalArgumentException("\"" + k + "\" is required");
            return null;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("\"" + k + "\" must be a path string");
        return base.resolve(n.asText()).normalize();
    }

    private static String str(JsonNode r, String k, String def) {
        JsonNode n = r.get(k);
        if (n == null) {
            if (def == null) throw new IllegalArgumentException("\"" + k + "\" is required");
            return def;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("\"" + k + "\" must be a string");
        return n.asText();
    }

    private static int integer(JsonNode r, String k, int def) {
        JsonNode n = r.get(k);
        if (n == null) return def;
        if (!n.isIntegralNumber()) throw new IllegalArgumentException("\"" + k + "\" must be an integer");
        return n.asInt();
    }

    private static double number(JsonNode r, String k, double def) {
        JsonNode n = r.get(k);
        if (n == null) return def;
        if (!n.isNumber()) throw new IllegalArgumentException("\"" + k + "\" must be a number");
        return n.asDouble();
    }
}
