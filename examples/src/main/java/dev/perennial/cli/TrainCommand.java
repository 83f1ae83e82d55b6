/*
 * `perennial train`: fine-tunes a LLaVA checkpoint on LLaVA-JSON conversations — LoRA adapters (default), prompt
 * embeddings inserted after BOS, or every weight — and writes the result to --out: adapter/ (PEFT layout; with
 * --train-projector the projector trained beside the adapters, in its own AdamW group at --projector-lr as in LLaVA's
 * LoRA recipe, goes to adapter/non_lora_trainables.safetensors), prompt.safetensors, or model.safetensors + config.json. Checkpoints go to --out/checkpoints every
 * --checkpoint-every steps (and at the end); --resume continues a killed run from the latest one. Missing or
 * corrupt images are skipped, counted and reported; a non-finite loss stops the run naming the batch.
 * A progress bar (step, loss, samples/s, ETA) is drawn on stderr.
 *
 * --out is guarded by io.OutputFolder: locked while the command runs; a finished run there is not replaced without
 * --overwrite; --resume continues only a run of the same data and settings, naming what differs otherwise (the
 * checkpoints carry the same kind of fingerprint), and on a complete run trains no step and writes the same result.
 */
package dev.perennial.cli;

import dev.perennial.data.ImageStore;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.OutputFolder;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.prompt.SoftPrompt;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.NonLoraTrainables;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Fine-tune with LoRA, prompt tuning or all weights.")
final class TrainCommand implements Callable<Integer> {
    enum Mode { lora, prompt, full }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, description = "LLaVA-JSON conversations.")
    Path data;

    @Option(names = "--images", description = "Folder the samples' image paths are relative to (required when samples have images).")
    Path images;

    @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
    Path tokenizer;

    @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template (default vicuna_v1).")
    String template;

    @Option(names = "--mode", defaultValue = "lora", description = "lora (default), prompt or full.")
    Mode mode;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the data (default ${DEFAULT-VALUE}).") int epochs;

    @Mixin
    TrainingOptions training;
    @Option(names = "--max-length", defaultValue = "2048", description = "Token limit per sample (the image marker counts as one position, as in LLaVA-1.5); longer samples are truncated (default ${DEFAULT-VALUE}).") int maxLength;
    @Option(names = "--lora-rank", defaultValue = "128", description = "LoRA rank r (default ${DEFAULT-VALUE}).") int rank;
    @Option(names = "--lora-alpha", defaultValue = "256", description = "LoRA alpha; the scaling is alpha / r (default ${DEFAULT-VALUE}).") float alpha;
    @Option(names = "--lora-dropout", defaultValue = "0.05", description = "Dropout on the LoRA input (default ${DEFAULT-VALUE}).") float loraDropout;
    @Option(names = "--lora-targets", description = "Linear layers that get adapters: a comma list of module-name suffixes "
            + "(PEFT's target_modules list, e.g. q_proj,v_proj; as in PEFT it also matches the vision tower's layers) "
            + "or a regular expression over whole module names "
            + "(default: every attention and MLP projection of the language model).") String loraTargets;
    @Option(names = "--train-projector", description = "Also train the multimodal projector (LLaVA's LoRA recipe), at --projector-lr; "
            + "it is saved beside the adapter as adapter/non_lora_trainables.safetensors. --mode lora only.") boolean trainProjector;
    @Option(names = "--projector-lr", defaultValue = "2e-5", description = "Peak learning rate of the projector with --train-projector "
            + "(its own AdamW parameter group, same schedule; default ${DEFAULT-VALUE}, LLaVA-1.5's).") double projectorLr;
    @Option(names = "--prompt-length", defaultValue = "10", description = "Soft-prompt tokens for --mode prompt (default ${DEFAULT-VALUE}).") int promptLength;
    @Option(names = "--gradient-checkpointing", description = "Recompute each decoder layer during backward instead of keeping its "
            + "activations: less memory for long samples and big models, one more forward pass per step; same gradients.")
    boolean gradientCheckpointing;
    @Option(names = "--resume", description = "Continue the interrupted run in --out (same data and settings) from its latest checkpoint.") boolean resume;

    @Mixin
    OutputGuard guard;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        try (OutputFolder folder = OutputFolder.lock(out, "train")) {
            OutputFolder.Start start = folder.start(settings(), resume, guard.overwrite);
            // a finished run resumes too: one stopped by --max-steps goes on, a complete one trains no step and
            // writes the same result again
            train(stdout, stderr, start != OutputFolder.Start.FRESH);
            folder.finish();
        }
        return 0;
    }

    /**
     * --lora-targets as the whole-name regular expression LoraConfig keeps: a value with regex syntax is taken as it
     * is, a comma list of names becomes PEFT's suffix rule.
     */
    String loraTargetModules() {
        if (loraTargets == null) return LoraConfig.LLM_PROJECTIONS;
        String v = loraTargets.strip();
        if (v.isEmpty()) throw new IllegalArgumentException("--lora-targets is empty");
        if (v.matches(".*[\\\\()\\[\\]*+?^$|{}].*")) {
            try {
                java.util.regex.Pattern.compile(v);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("--lora-targets is not a valid regular expression: "
                        + e.getDescription() + " in " + v);
            }
            return v;
        }
        List<String> names = new java.util.ArrayList<>();
        for (String n : v.split(",")) if (!n.isBlank()) names.add(n.strip());
        return LoraConfig.fromSuffixes(names);
    }

    /** What the result depends on: a resume must agree on all of it. */
    private Fingerprint settings() throws java.io.IOException {
        Fingerprint.Builder f = Fingerprint.builder().put("data", Fingerprint.fileDigest(data)).put("images", OutputGuard.path(images))
                .put("model", OutputGuard.model(modelOptions.model())).put("vision-tower", OutputGuard.model(modelOptions.visionTower()))
                .put("tokenizer", tokenizer == null ? "from the model folder" : Fingerprint.fileDigest(tokenizer))
                .put("template", template).put("mode", mode).put("epochs", epochs).put("max-length", maxLength);
        training.fingerprint(f);
        if (mode == Mode.lora) {
            f.put("lora-rank", rank).put("lora-alpha", alpha).put("lora-dropout", loraDropout).put("lora-targets", loraTargetModules());
            if (trainProjector) f.put("train-projector", true).put("projector-lr", projectorLr);
        }
        if (mode == Mode.prompt) f.put("prompt-length", promptLength);
        return f.build();
    }

    private void train(PrintWriter stdout, PrintWriter stderr, boolean resume) throws Exception {
        if (trainProjector && mode != Mode.lora) throw new IllegalArgumentException("--train-projector goes with --mode lora");
        if (trainProjector && (!(projectorLr > 0) || !Double.isFinite(projectorLr))) {
            throw new IllegalArgumentException("--projector-lr must be a positive number, got " + projectorLr);
        }
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : modelOptions.model());
        try (LlavaModel m = LlavaModel.load(modelOptions.model(), modelOptions.visionTower(), mode == Mode.full)) {
            m.decoder().setGradientCheckpointing(gradientCheckpointing);
            ImageStore store = images == null ? null
                    : new ImageStore(images, LlavaChat.processorFor(modelOptions.model(), m), m.config().padImageToSquare());
            SampleEncoder encoder = new SampleEncoder(tok, ConversationTemplate.named(template), m.config().imageTokenIndex(), store, maxLength);
            List<TrainingExample> examples = new ArrayList<>();
            int read = 0;
            try (LlavaJsonReader reader = LlavaJsonReader.open(data, InvalidSamples.FAIL)) {
                for (LlavaSample s = reader.read(); s != null; s = reader.read()) {
                    if (s.hasImage() && store == null) throw new IllegalArgumentException("sample " + s.describe() + " has an image: pass --images");
                    encoder.encode(s).ifPresent(examples::add);
                    read++;
                }
            }
            try {
                SampleEncoder.requireTrainable(examples, read, maxLength, "--max-length");   // before an untrained adapter is saved
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(data + ": " + e.getMessage(), e);
            }
            stdout.printf(Locale.ROOT, "%d samples (%d skipped, %d truncated)%s%n", examples.size(), encoder.skippedCount(),
                    encoder.truncatedCount(), store == null ? "" : "; images: " + store.summary());

            Map<String, Tensor> params;
            PromptInsertion prompt = null;
            Map<String, LoraAdapter> adapters = Map.of();
            Map<String, Tensor> projector = Map.of();
            SoftPrompt soft = null;
            LoraConfig loraConfig = new LoraConfig(rank, alpha, loraDropout, loraTargetModules());
            switch (mode) {
                case lora -> {
                    adapters = Lora.attach(m.linears(), loraConfig, training.seed, modelOptions.backend());
                    params = new LinkedHashMap<>(Lora.parameters(adapters));
                    if (trainProjector) {
                        projector = m.projector().makeTrainable(modelOptions.backend());
                        params.putAll(projector);
                    }
                }
                case prompt -> {
                    soft = SoftPrompt.initial(promptLength, m.config().text().hiddenSize(), training.seed, PromptInsertion.Placement.AFTER_BOS);
                    prompt = soft.insertion();
                    params = soft.parameters();
                }
                default -> params = new LinkedHashMap<>(m.weights());
            }
            TrainConfig cfg = training.config(epochs);
            Trainer trainer = new Trainer(m, modelOptions.backend(), params, prompt, adapters.values(), cfg);
            if (!projector.isEmpty()) trainer.parameterGroup(projector.keySet(), projectorLr);
            ProgressReporter progress = ProgressReporter.on(stderr, "train", "steps");
            Trainer.Result result = trainer.train(examples, out.resolve("checkpoints"), resume, (step, total, loss, rate, eta) ->
                    progress.update(step, total, String.format(Locale.ROOT, "loss %.4f %.1f samples/s ETA %.0fs", loss, rate, eta)));
            progress.finish();
            Files.createDirectories(out);
            switch (mode) {
                case lora -> {
                    Lora.save(out.resolve("adapter"), adapters, loraConfig);
                    if (trainProjector) NonLoraTrainables.save(out.resolve("adapter"), m);
                }
                case prompt -> soft.save(out);
                default -> {
                    Map<String, Tensor> byCheckpointName = new LinkedHashMap<>();
                    params.forEach((k, v) -> byCheckpointName.put(m.checkpointName(k), v));
                    SafetensorsWriter.write(out.resolve("model.safetensors"), byCheckpointName, Map.of("format", "pt"));
                    AtomicFiles.write(out.resolve("config.json"), Files.readAllBytes(modelOptions.model().resolve("config.json")));
                }
            }
            List<Double> losses = result.losses();
            stdout.printf(Locale.ROOT, "steps %d..%d, loss %s -> %s; saved to %s%n", result.firstStep(), result.lastStep(),
                    losses.isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", losses.get(0)),
                    losses.isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", losses.get(losses.size() - 1)), out);
            if (store != null && (store.missingCount() > 0 || store.corruptCount() > 0)) stdout.println("images: " + store.summary());
            stdout.flush();
        }
    }
}
