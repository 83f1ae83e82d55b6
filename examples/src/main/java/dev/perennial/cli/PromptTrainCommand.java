/*
 * `perennial prompt-train`: trains one task of a prompt pool (ModalPrompt by default, or L2P) on a frozen LLaVA
 * checkpoint and commits it to the state folder (docs/methods/modalprompt.md §6, §8; dev.perennial.prompt.PromptTaskTrainer).
 * The first call creates the state with the pool settings given here; later calls add the next task with the
 * state's settings (giving different ones is refused) or, for a task that was interrupted, resume it from its
 * checkpoints. Missing or corrupt images are skipped and counted; a progress bar is drawn on stderr; the summary
 * ends with how often each prompt was retrieved while training (SelectionStats).
 *
 * The state folder is locked while the command runs (io.OutputFolder). Each committed task keeps the fingerprint of
 * its data and settings in task.json: training the same task again with the same ones does nothing, with others it
 * is refused naming what differs; an interrupted task resumes only with the same ones (its checkpoints carry them).
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.clip.ClipModel;
import dev.perennial.data.ImageStore;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.OutputFolder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.prompt.ClipQueries;
import dev.perennial.prompt.PromptPoolConfig;
import dev.perennial.prompt.PromptPoolState;
import dev.perennial.prompt.PromptTaskData;
import dev.perennial.prompt.PromptTaskTrainer;
import dev.perennial.tensor.Backend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "prompt-train", mixinStandardHelpOptions = true,
        description = "Train one task of a ModalPrompt (or L2P, DualPrompt, S-Prompts) prompt pool on a frozen LLaVA model.")
final class PromptTrainCommand implements Callable<Integer> {
    enum Method { modalprompt, l2p, dualprompt, s_prompts }

    /** --method accepts the strategies' names ("s-prompts") as well as the enum's. */
    static final class MethodConverter implements picocli.CommandLine.ITypeConverter<Method> {
        @Override
        public Method convert(String value) {
            try {
                return Method.valueOf(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("expected one of modalprompt, l2p, dualprompt, s-prompts but was '" + value + "'");
            }
        }
    }

    enum TextQuery { pooled, projected }

    @Spec
    CommandSpec spec;

    @Mixin
    PromptModelOptions options;

    @Option(names = "--task", required = true, description = "Task name (letters, digits, '.', '_', '-').")
    String task;

    @Option(names = "--data", required = true, description = "The task's LLaVA-JSON training conversations.")
    Path data;

    @Option(names = "--state", required = true, description = "State folder of the prompt pool (created on first use).")
    Path state;

    @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template (default vicuna_v1).")
    String template;

    // pool settings: used when the state is created, checked against it afterwards
    @Option(names = "--method", defaultValue = "modalprompt", converter = MethodConverter.class,
            description = "modalprompt (default), l2p, dualprompt or s-prompts; new state only.") Method method;
    @Option(names = "--prompts", defaultValue = "3", description = "K, prompts inserted per sample (ModalPrompt; default 3).") int prompts;
    @Option(names = "--prompt-length", defaultValue = "10", description = "L, tokens per prompt (default 10).") int promptLength;
    @Option(names = "--lambda", defaultValue = "0.5", description = "Image weight of the score; text gets 1 - lambda (default 0.5).") float lambda;
    @Option(names = "--text-query", defaultValue = "pooled", description = "pooled (CLIP pooler_output, default) or projected (text_embeds).") TextQuery textQuery;
    @Option(names = "--pool-size", defaultValue = "10", description = "L2P: prompts in the shared pool (default 10).") int poolSize;
    @Option(names = "--selected", defaultValue = "5", description = "L2P: prompts selected per sample (default 5).") int selected;
    @Option(names = "--key-loss-weight", defaultValue = "0.5", description = "L2P: weight of the key loss (default 0.5).") float keyLossWeight;
    @Option(names = "--centroids", defaultValue = "5", description = "S-Prompts: k-means centroids of the task's image embeddings kept as its keys (default 5).") int centroids;
    @Option(names = "--g-layers", defaultValue = "0,1", split = ",",
            description = "DualPrompt: decoder layers the shared G-prompt is prefix-tuned into (default ${DEFAULT-VALUE}).") List<Integer> gLayers;
    @Option(names = "--g-length", defaultValue = "6",
            description = "DualPrompt: G-prompt rows per layer, even: half keys, half values (default ${DEFAULT-VALUE}).") int gLength;
    @Option(names = "--e-layers", defaultValue = "2,3,4", split = ",",
            description = "DualPrompt: decoder layers the task's E-prompt is prefix-tuned into (default ${DEFAULT-VALUE}).") List<Integer> eLayers;
    @Option(names = "--e-length", defaultValue = "20",
            description = "DualPrompt: E-prompt rows per layer, even: half keys, half values (default ${DEFAULT-VALUE}).") int eLength;

    @Option(names = "--epochs", defaultValue = "10", description = "Passes over the task's data (default ${DEFAULT-VALUE}).") int epochs;

    @Mixin
    TrainingOptions training;

    private static final List<String> POOL_OPTIONS = List.of("--method", "--prompts", "--prompt-length", "--lambda", "--pool-size",
            "--selected", "--key-loss-weight", "--centroids", "--g-layers", "--g-length", "--e-layers", "--e-length");

    @Override
    public Integer call() throws Exception {
        try (OutputFolder folder = OutputFolder.lock(state, "prompt-train")) {
            // the state grows by one task per call and is never "finished"; start() sweeps what a crash left. A state
            // written before output folders had manifests (pool.json, tasks/) is accepted as it is.
            folder.start(Fingerprint.builder().put("state", "prompt pool").build(), true, false, Set.of(PromptPoolState.POOL_JSON, "tasks"));
            return train();
        }
    }

    /** What the task's result depends on, besides the pool settings that the state itself keeps. */
    private Fingerprint settings() throws java.io.IOException {
        Fingerprint.Builder f = Fingerprint.builder().put("data", Fingerprint.fileDigest(data)).put("images", OutputGuard.path(options.images))
                .put("model", OutputGuard.model(options.model.model())).put("clip", OutputGuard.model(options.clip()))
                .put("template", template).put("max-length", options.maxLength).put("epochs", epochs);
        training.fingerprint(f);
        return f.build();
    }

    private int train() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        if (!PromptPoolState.exists(state)) config(1);                 // bad pool options fail before anything loads
        Fingerprint settings = settings();
        if (PromptPoolState.exists(state)) {
            PromptPoolState existing = PromptPoolState.open(state);
            for (int i = 0; i < existing.tasks().size(); i++) {
                if (!existing.tasks().get(i).name().equals(task)) continue;
                Fingerprint stored = Fingerprint.of(existing.taskMetadata(i).get("settings") instanceof Map<?, ?> s ? s : null);
                if (!stored.equals(settings)) {
                    throw new IllegalArgumentException("task " + task + " is already trained in " + state + " with other data or settings ("
                            + settings.describeDifferences(stored, 6) + "); train it under another name or use another state folder");
                }
                stdout.printf("task %s is already trained in %s with these data and settings; nothing to do%n", task, state);
                stdout.flush();
                return 0;
            }
        }
        Tokenizer tok = options.loadTokenizer();
        Backend be = options.model.backend();
        ConversationTemplate tpl = ConversationTemplate.named(template);
        try (LlavaModel m = options.model.load(); ClipModel clip = ClipModel.load(options.clip())) {
            PromptPoolState st = PromptPoolState.exists(state) ? PromptPoolState.open(state) : null;
            ClipQueries.TextQuery mode = textQuery == TextQuery.pooled ? ClipQueries.TextQuery.POOLED : ClipQueries.TextQuery.PROJECTED;
            if (st != null && !st.tasks().isEmpty()) {
                ClipQueries.TextQuery used = ClipQueries.TextQuery.valueOf(String.valueOf(st.taskMetadata(0).getOrDefault("text_query", mode.name())));
                if (spec.commandLine().getParseResult().hasMatchedOption("--text-query") && used != mode) {
                    throw new IllegalArgumentException(state + " was trained with the " + used.name().toLowerCase(Locale.ROOT) + " text query, not " + textQuery);
                }
                mode = used;
            }
            ClipQueries queries = options.queries(clip, mode);
            if (st != null) {
                PromptPoolConfig asked = config(queries.dim());
                List<String> given = POOL_OPTIONS.stream().filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o)).toList();
                if (!given.isEmpty() && !asked.equals(st.pool().config())) {
                    throw new IllegalArgumentException(state + " was created with " + st.pool().config() + "; " + String.join(", ", given)
                            + " would change it (a state keeps its pool settings)");
                }
                int width = st.pool().config().promptWidth(m.config().text());
                if (st.pool().hidden() != width) {
                    throw new IllegalArgumentException(state + " holds prompts of width " + st.pool().hidden() + ", this model's are " + width);
                }
                if (st.pool().config().keyDim() != queries.dim()) {
                    throw new IllegalArgumentException(state + " has keys of width " + st.pool().config().keyDim() + ", this CLIP model's queries " + queries.dim());
                }
            }
            PromptPoolConfig poolConfig = st != null ? st.pool().config() : config(queries.dim());
            poolConfig.checkModel(m.config().text());                     // e.g. DualPrompt's layers within the model's depth
            ImageStore llava = options.llavaImages(m), clipImages = options.clipImages(queries);
            SampleEncoder encoder = new SampleEncoder(tok, tpl, m.config().imageTokenIndex(), llava, options.maxLength);
            List<LlavaSample> samples = new ArrayList<>();
            try (LlavaJsonReader reader = LlavaJsonReader.open(data, InvalidSamples.FAIL)) {
                for (LlavaSample s = reader.read(); s != null; s = reader.read()) {
                    if (s.hasImage() && llava == null) throw new IllegalArgumentException("sample " + s.describe() + " has an image: pass --images");
                    samples.add(s);
                }
            }
            PromptTaskData taskData = PromptTaskData.encode(samples, encoder, queries, clipImages, poolConfig.queries(), be);
            try {
                SampleEncoder.requireTrainable(taskData.examples(), samples.size(), options.maxLength, "--max-length");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(data + ": " + e.getMessage(), e);
            }
            if (st == null) st = PromptPoolState.create(state, poolConfig, poolConfig.promptWidth(m.config().text()));
            stdout.printf(Locale.ROOT, "%d samples (%d skipped, %d truncated)%s%n", taskData.size(), encoder.skippedCount(),
                    encoder.truncatedCount(), llava == null ? "" : "; images: " + llava.summary());
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("data", data.toAbsolutePath().toString());
            meta.put("model", options.model.model().toAbsolutePath().toString());
            meta.put("clip", options.clip().toAbsolutePath().toString());
            meta.put("text_query", mode.name());
            meta.put("template", template);
            meta.put("max_length", options.maxLength);
            meta.put("settings", settings.entries());
            TrainConfig cfg = training.config(epochs);
            ProgressReporter progress = ProgressReporter.on(stderr, "prompt-train", "steps");
            PromptTaskTrainer.Result r = PromptTaskTrainer.train(st, task, m, be, taskData, tok.vocabSize(), training.seed, cfg, meta,
                    (step, total, loss, rate, eta) -> progress.update(step, total,
                            String.format(Locale.ROOT, "loss %.4f %.1f samples/s ETA %.0fs", loss, rate, eta)));
            progress.finish();
            List<Double> losses = r.training().losses();
            stdout.printf(Locale.ROOT, "task %d (%s): steps %d..%d, loss %s -> %s; committed to %s%n", r.taskIndex() + 1, task,
                    r.training().firstStep(), r.training().lastStep(),
                    losses.isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", losses.get(0)),
                    losses.isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", losses.get(losses.size() - 1)), state);
            stdout.print("prompts retrieved in training: " + r.selections().summary());
            stdout.flush();
        }
        return 0;
    }

    private PromptPoolConfig config(int keyDim) {
        return switch (method) {
            case modalprompt -> PromptPoolConfig.modalPrompt(prompts, promptLength, lambda, keyDim);
            case l2p -> PromptPoolConfig.l2p(poolSize, selected, promptLength, keyDim, "image", keyLossWeight);
            case dualprompt -> PromptPoolConfig.dualPrompt(gLayers, gLength, eLayers, eLength, keyDim, "image");
            case s_prompts -> PromptPoolConfig.sPrompts(promptLength, keyDim, "image", centroids);
        };
    }
}
