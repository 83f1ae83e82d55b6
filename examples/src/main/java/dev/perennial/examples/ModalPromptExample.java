/*
 * README's ModalPrompt snippet as compiled code: a prompt pool on disk, one task trained (opened again on a re-run,
 * so tasks accumulate), then task-agnostic answers. ReadmeSnippetsTest checks README's block and runs it.
 */
package dev.perennial.examples;

import dev.perennial.clip.ClipModel;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.prompt.ClipQueries;
import dev.perennial.prompt.PromptInference;
import dev.perennial.prompt.PromptPoolConfig;
import dev.perennial.prompt.PromptPoolState;
import dev.perennial.prompt.PromptTaskData;
import dev.perennial.prompt.PromptTaskTrainer;
import dev.perennial.tensor.Backend;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

public final class ModalPromptExample {
    private ModalPromptExample() {}

    /** Trains {@code task} on {@code train} into the pool in {@code stateDir} and answers {@code test} with the pool. */
    public static List<PromptInference.Prediction> run(Path dir, Path clipDir, Path images, Path stateDir, String task,
                                                       List<LlavaSample> train, List<LlavaSample> test, TrainConfig cfg,
                                                       Backend be, long seed) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(dir);
        try (LlavaModel model = LlavaModel.load(dir); ClipModel clip = ClipModel.load(clipDir)) {
            // README:modalprompt
            PromptPoolConfig config = PromptPoolConfig.modalPrompt(3, 10, 0.5f, clip.config().projectionDim());
            PromptPoolState state = PromptPoolState.openOrCreate(stateDir, config, model.config().text().hiddenSize());
            ClipQueries queries = new ClipQueries(clip, ClipTokenizer.load(clipDir), ClipQueries.TextQuery.POOLED);
            ImageStore llavaImages = new ImageStore(images, LlavaChat.processorFor(dir, model), model.config().padImageToSquare());
            SampleEncoder encoder = new SampleEncoder(tokenizer, ConversationTemplate.VICUNA_V1, model.config().imageTokenIndex(),
                    llavaImages, 2048);
            PromptTaskData data = PromptTaskData.encode(train, encoder, queries, queries.imageStore(clipDir, images),
                    config.queries(), be);
            PromptTaskTrainer.train(state, task, model, be, data, tokenizer.vocabSize(), seed, cfg, null, null);

            PromptTaskData tests = PromptTaskData.encode(test, encoder, queries, queries.imageStore(clipDir, images),
                    config.queries(), be);
            List<PromptInference.Prediction> answers = new PromptInference(state.pool(), model, be, tokenizer,
                    ConversationTemplate.VICUNA_V1).answer(tests.samples(), tests.pixels(), tests.queries(),
                    GenerationConfig.greedy(16, 2), null, task);
            // README:end
            return answers;
        }
    }
}
