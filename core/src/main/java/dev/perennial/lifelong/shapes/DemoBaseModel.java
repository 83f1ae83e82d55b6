/*
 * The built-in benchmark's base model (issue 8, item 5): a tiny LLaVA-shaped model (CLIP-style tower on 32 px images
 * in 4 px patches, MLP projector, 4-layer LLaMA of width 128, a WordTokenizer vocabulary) that the library
 * pre-trains itself, all weights, on a base mix of captions ("Describe the picture." -> "a red circle and a blue
 * square", see Scene.describe) of scenes drawn like every skill's. The captions tie colour, shape and digit words to
 * pixels in a style no task uses, so each task still has to be learned in its own step. Everything is a function of
 * the seed; training checkpoints into the output folder and resumes, and the result is an ordinary llava-hf folder
 * (config.json, model.safetensors, tokenizer.json) that LlavaModel.load and Tokenizer.load read.
 */
package dev.perennial.lifelong.shapes;

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
import dev.perennial.llava.SyntheticCheckpoint;
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
     * @param captions  base-mix samples
     * @param epochs    passes over them
     * @param batch     samples per optimizer step
     * @param lr        peak learning rate (warm-up 3%, cosine)
     */
    public record Settings(int captions, int epochs, int batch, double lr, long seed) {
        public static Settings defaults() { return new Settings(6000, 8, 16, 1e-3, 0); }
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
     * tokenizer.json; work files under dir/pretrain). With an existing checkpoint there, training resumes.
     */
    public static Path build(Path dir, Settings s, Backend be, Trainer.Progress progress) throws IOException {
        Path work = Files.createDirectories(dir.resolve("pretrain")), images = Files.createDirectories(work.resolve("images"));
        WordTokenizer.Ids ids = WordTokenizer.write(work.resolve("tokenizer.json"), corpus(s.seed()));
        Tokenizer tok = Tokenizer.load(work.resolve("tokenizer.json"));
        SyntheticCheckpoint.write(work.resolve("init"), text(ids.vocabSize()), vision(), ids.image(), DType.F32, s.seed());
        SplittableRandom rng = new SplittableRandom(ShapesBenchmark.mix(s.seed(), 99));
        List<LlavaSample> samples = new ArrayList<>();
        for (int i = 0; i < s.captions(); i++) {
            Skill.Item it = Skill.values()[rng.nextInt(Skill.values().length)].generate(rng, 32);
            String file = String.format(Locale.ROOT, "base-%05d.png", i);
            if (!Files.exists(images.resolve(file))) AtomicFiles.write(images.resolve(file), ShapesBenchmark.png(it.scene().render()));
            samples.add(new LlavaSample(i, "base-" + i, List.of(file),
                    List.of(ConversationTurn.human("<image>\n" + INSTRUCTION), ConversationTurn.gpt(it.scene().describe()))));
        }
        try (LlavaModel m = LlavaModel.load(work.resolve("init"), null, true)) {
            ImageStore store = new ImageStore(images, LlavaChat.processorFor(work.resolve("init"), m), true);
            SampleEncoder enc = new SampleEncoder(tok, ConversationTemplate.named(TEMPLATE), ids.image(), store, 256);
            List<TrainingExample> examples = new ArrayList<>();
            for (LlavaSample x : samples) enc.encode(x).ifPresent(examples::add);
            TrainConfig cfg = new TrainConfig(s.epochs(), s.batch(), 1, s.lr(), 0, 0.03, 1.0, s.seed(), -1, 200);
            new Trainer(m, be, new LinkedHashMap<>(m.weights()), null, List.of(), cfg).train(examples, work.resolve("checkpoints"), true, progress);
            Map<String, Tensor> byName = new LinkedHashMap<>();
            m.weights().forEach((k, v) -> byName.put(m.checkpointName(k), v));
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), byName, Map.of("format", "pt"));
        }
        Files.copy(work.resolve("init/config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(work.resolve("tokenizer.json"), dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }
}
