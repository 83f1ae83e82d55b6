/*
 * The built-in benchmark's base model: a tiny LLaVA-shaped model (CLIP-style tower on 32 px images
 * in 4 px patches, MLP projector, 4-layer LLaMA of width 128, a WordTokenizer vocabulary) that the library
 * pre-trains itself, all weights, in two stages like LLaVA-1.5:
 *
 *   1. captions: "Describe the picture." -> "a red circle and a blue square" (Scene.describe) of scenes drawn like
 *      every skill's, tying colour, shape and digit words to pixels;
 *   2. instruction mix: half captions, half short-answer questions about every skill in one neutral style
 *      (Skill.Item.baseQuestion, "Answer with the colour of the shape." -> "red"), so the model answers to the
 *      instruction instead of always captioning.
 *
 * No task asks in the neutral style; each task's own style (Skill) is what a lifelong step has to learn. Stage 2
 * is what ModalPrompt needs: a frozen backbone whose behaviour an instruction can steer (ModalPrompt starts from the
 * instruction-tuned LLaVA-1.5, docs/methods/modalprompt.md §10.6); a caption-only backbone cannot be steered by a few prompt
 * vectors (measured: docs/performance.md, "Lifelong demo"). Everything is a function of the seed; each stage
 * checkpoints into the output folder and resumes, stage 1's model is kept in pretrain/stage1, and the result is an
 * ordinary llava-hf folder (config.json, model.safetensors, tokenizer.json) that LlavaModel.load and Tokenizer.load
 * read. The tokenizer's corpus holds the task texts only; the few neutral-style words outside it (e.g. "how") are
 * encoded through their characters.
 */
package dev.perennial.benchdata.shapes;

import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class DemoBaseModel {
    public static final String INSTRUCTION = "Describe the picture.";
    public static final String TEMPLATE = "vicuna_v1";

    /**
     * @param captions      stage-1 samples (captions)
     * @param epochs        stage-1 passes over them
     * @param batch         samples per optimizer step (both stages)
     * @param lr            stage-1 peak learning rate (warm-up 3%, cosine)
     * @param instructions  stage-2 samples (half captions, half neutral-style questions); 0 skips stage 2
     * @param instructionEpochs  stage-2 passes
     * @param instructionLr      stage-2 peak learning rate
     */
    public record Settings(int captions, int epochs, int batch, double lr, long seed, int instructions, int instructionEpochs,
                           double instructionLr) {
        public static Settings defaults() { return new Settings(6000, 8, 16, 1e-3, 0, 4000, 3, 5e-4); }
    }

    private DemoBaseModel() {}

    /** The decoder: width 128, 4 layers, 4 heads, SwiGLU 320, context 256, for a vocabulary of {@code vocab} ids. */
    public static LlamaConfig text(int vocab) {
        return new LlamaConfig(128, 320, 4, 4, 4, vocab, 1e-5f, 10000f, 256, false, 1, 2);
    }

    /** The vision tower: 32 px images in 4 px patches (64 image tokens), width 64, 2 layers. */
    public static ClipVisionConfig vision() {
        return new ClipVisionConfig(64, 128, 2, 4, 32, 4, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU);
    }

    /**
     * Every text the benchmark can produce, for the tokenizer: the template around an image question, every skill's
     * questions and answers (from a generous sample), every caption word, and all two-digit numbers (box coordinates).
     */
    public static List<String> corpus(long seed) {
        List<String> out = new ArrayList<>();
        out.add(ConversationTemplate.named(TEMPLATE).generationPrompt(List.of(ConversationTurn.human("<image>\n" + INSTRUCTION))));
        SplittableRandom rng = new SplittableRandom(seed);
        for (Skill s : Skill.values()) {
            for (int i = 0; i < 400; i++) {
                Skill.Item it = s.generate(rng, 32);
                out.add("<image>\n" + it.question());
                out.add(it.answer());
                out.add(it.scene().describe());
            }
        }
        for (Scene.Colour c : Scene.Colour.values()) for (Scene.Kind k : Scene.Kind.values()) out.add("a " + c.word + " " + k.word + " and the digit 0 in " + c.word);
        for (int d = 0; d < 100; d++) out.add(String.format(Locale.ROOT, "[0.%02d, 1.00]", d));
        for (int d = 0; d < 10; d++) out.add("the digit " + d);
        return out;
    }

    /**
     * Builds and pre-trains the base model into {@code dir} (model folder: config.json, model.safetensors,
     * tokenizer.json; work files under dir/pretrain). Each stage resumes from its checkpoints; a finished stage 1
     * (pretrain/stage1/model.safetensors) is not trained again.
     */
    public static Path build(Path dir, Settings s, Backend be, Trainer.Progress progress) throws IOException {
        Path work = Files.createDirectories(dir.resolve("pretrain")), images = Files.createDirectories(work.resolve("images"));
        WordTokenizer.Ids ids = WordTokenizer.write(work.resolve("tokenizer.json"), corpus(s.seed()));
        SyntheticCheckpoint.write(work.resolve("init"), text(ids.vocabSize()), vision(), ids.image(), DType.F32, s.seed());
        Path stage1 = work.resolve("stage1"), stage2 = work.resolve("stage2"), tokenizer = work.resolve("tokenizer.json");
        if (!Files.isRegularFile(stage1.resolve("model.safetensors"))) {
            train(work.resolve("init"), stage1, work.resolve("checkpoints"), tokenizer, ids, images, samples(images, "base", 99, s.captions(), s.seed(), false),
                    s.epochs(), s.batch(), s.lr(), s.seed(), be, progress);
        }
        if (s.instructions() > 0 && !Files.isRegularFile(stage2.resolve("model.safetensors"))) {
            train(stage1, stage2, work.resolve("checkpoints-stage2"), tokenizer, ids, images, samples(images, "mix", 98, s.instructions(), s.seed(), true),
                    s.instructionEpochs(), s.batch(), s.instructionLr(), s.seed() + 1, be, progress);
        }
        Path last = s.instructions() > 0 ? stage2 : stage1;
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {    // each file replaced atomically, the model last
            AtomicFiles.write(dir.resolve(f), Files.readAllBytes(last.resolve(f)));
        }
        return dir;
    }

    /**
     * n base-mix samples of scenes drawn like every skill's, from the stream mix(seed, stream); their pictures are
     * written once to images/PREFIX-NNNNN.png. Captions only, or (mixed) captions and neutral-style questions in turn.
     */
    private static List<LlavaSample> samples(Path images, String prefix, long stream, int n, long seed, boolean mixed) throws IOException {
        SplittableRandom rng = new SplittableRandom(ShapesBenchmark.mix(seed, stream));
        List<LlavaSample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Skill.Item it = Skill.values()[rng.nextInt(Skill.values().length)].generate(rng, 32);
            boolean question = mixed && i % 2 == 1;
            String file = String.format(Locale.ROOT, "%s-%05d.png", prefix, i);
            if (!Files.exists(images.resolve(file))) AtomicFiles.write(images.resolve(file), ShapesBenchmark.png(it.scene().render()));
            out.add(new LlavaSample(i, prefix + "-" + i, List.of(file), List.of(ConversationTurn.human("<image>\n" + (question ? it.baseQuestion() : INSTRUCTION)),
                    ConversationTurn.gpt(question ? it.answer() : it.scene().describe()))));
        }
        return out;
    }

    /** Trains all weights of the model in {@code from} on samples and writes the result as a model folder {@code to}. */
    private static void train(Path from, Path to, Path checkpoints, Path tokenizerFile, WordTokenizer.Ids ids, Path images, List<LlavaSample> samples,
                              int epochs, int batch, double lr, long seed, Backend be, Trainer.Progress progress) throws IOException {
        try (LlavaModel m = LlavaModel.load(from, null, true)) {
            ImageStore store = new ImageStore(images, LlavaChat.processorFor(from, m), true);
            SampleEncoder enc = new SampleEncoder(Tokenizer.load(tokenizerFile), ConversationTemplate.named(TEMPLATE), ids.image(), store, 256);
            List<TrainingExample> examples = new ArrayList<>();
            for (LlavaSample x : samples) enc.encode(x).ifPresent(examples::add);
            TrainConfig cfg = new TrainConfig(epochs, batch, 1, lr, 0, 0.03, 1.0, seed, -1, 200);
            new Trainer(m, be, new LinkedHashMap<>(m.weights()), null, List.of(), cfg).train(examples, checkpoints, true, progress);
            Map<String, Tensor> byName = new LinkedHashMap<>();
            m.weights().forEach((k, v) -> byName.put(m.checkpointName(k), v));
            Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
            if (Files.exists(tmp)) try (var old = Files.list(tmp)) { for (Path f : old.toList()) Files.delete(f); }
            Files.createDirectories(tmp);
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), byName, Map.of("format", "pt"));
            Files.copy(from.resolve("config.json"), tmp.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(tokenizerFile, tmp.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);                        // a stage's model appears whole or not at all
        }
    }
}
