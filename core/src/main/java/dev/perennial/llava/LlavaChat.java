/*
 * Answering a question about an image the way LLaVA-1.5's evaluation scripts do (docs/methods/llava-numerics.md "Real
 * LLaVA-1.5 preprocessing and prompt facts"): the image is decoded and preprocessed like CLIPImageProcessor
 * (pad-to-square first for original checkpoints with image_aspect_ratio "pad"), the question becomes
 * "<image>\n{question}" in the conversation template (vicuna_v1 by default), the prompt is tokenised with the
 * image marker of the checkpoint's dialect, and the answer is generated and decoded without special tokens.
 * Ids from the image token on (llava-hf's <image>, <pad> and padding rows) are never generated.
 */
package dev.perennial.llava;

import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.ImageDecoder;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Answers a question about one image file as LLaVA-1.5's evaluation does: the image is decoded and preprocessed to
 * float32 pixels {@code [3, S, S]}, the question becomes a one-turn prompt in the conversation template, and the
 * answer is generated under a {@link GenerationConfig} and decoded; {@code answerRoom} says how many answer tokens
 * fit in the context.
 * <p>Thread-safe: every field is final and immutable or thread-safe for inference (model, tokenizer, image processor,
 * template) and each {@code answer} call keeps its state to itself, so several threads may share one instance when its
 * backend is thread-safe (as {@link dev.perennial.tensor.CpuBackend} is) and the model is not being trained.
 */
public final class LlavaChat {
    private final LlavaModel model;
    private final Tokenizer tokenizer;
    private final ClipImageProcessor processor;
    private final ConversationTemplate template;
    private final Backend be;

    public LlavaChat(LlavaModel model, Tokenizer tokenizer, ClipImageProcessor processor, ConversationTemplate template, Backend be) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.processor = processor;
        this.template = template;
        this.be = be;
    }

    /**
     * The image preprocessing of a checkpoint: preprocessor_config.json from the model folder (llava-hf) or the
     * vision tower folder (original), else CLIP ViT-L/14-336's; the size always follows the vision tower.
     */
    public static ClipImageProcessor processorFor(Path modelDir, LlavaModel model) throws IOException {
        PreprocessorConfig cfg = PreprocessorConfig.CLIP_VIT_L_336;
        Path tower = model.config().visionTowerDir();
        for (Path dir : tower == null ? List.of(modelDir) : List.of(modelDir, tower)) {
            Path file = dir.resolve("preprocessor_config.json");
            if (Files.isRegularFile(file)) {
                cfg = PreprocessorConfig.load(file);
                break;
            }
        }
        int size = model.config().vision().imageSize();
        return new ClipImageProcessor(cfg.cropHeight() == size && cfg.cropWidth() == size ? cfg : cfg.withSize(size));
    }

    /** The answer to {@code question} about the image in {@code imageFile}. */
    public String answer(Path imageFile, String question, GenerationConfig generation) throws IOException {
        Tensor pixels = pixels(imageFile);
        int firstMasked = model.config().dialect() == LlavaConfig.Dialect.HF ? model.config().imageTokenIndex() : tokenizer.vocabSize();
        GenerationConfig cfg = generation.withMaskIdsFrom(Math.min(generation.maskIdsFrom(), firstMasked));
        long[] ids = promptIds(question);
        long[] answer = new Generator(model, be).generate(List.of(ids), pixels, cfg, this::decode).tokens().get(0);
        return decode(answer).strip();
    }

    /**
     * How many answer tokens fit in the model's context after the prompt for {@code question}: the prompt takes its
     * ids with the one image marker replaced by {@link LlavaConfig#imageFeatureCount()} features. Generation stops
     * there whatever the configured maximum.
     */
    public int answerRoom(String question) {
        int positions = promptIds(question).length - 1 + model.config().imageFeatureCount();
        return Generator.room(model.config().text().maxPositions(), positions);
    }

    /** The ids of a one-turn prompt about an image: the template's ids with the image marker, ready for generation. */
    public long[] promptIds(String question) {
        List<ConversationTurn> turns = List.of(new ConversationTurn("human", "<image>\n" + question));
        return Arrays.stream(template.generationIds(tokenizer, turns, model.config().imageTokenIndex())).asLongStream().toArray();
    }

    /** The image in {@code imageFile} preprocessed as this model expects: [3, S, S]. */
    public Tensor pixels(Path imageFile) throws IOException {
        return processor.preprocess(ImageDecoder.read(imageFile), model.config().padImageToSquare());
    }

    private String decode(long[] ids) {
        return tokenizer.decode(Arrays.stream(ids).mapToInt(Math::toIntExact).toArray());
    }
}
