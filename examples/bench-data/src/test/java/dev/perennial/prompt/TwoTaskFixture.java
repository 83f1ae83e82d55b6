/*
 * A small two-task ModalPrompt setting built by the tests: the tiny LLaVA checkpoint, a random CLIP the code writes
 * (SyntheticClip with the real CLIP vocabulary), and two tasks with distinct instruction styles and image styles —
 * "colour": warm horizontal stripes, asked "What colour are the stripes? Answer with one word."; "count": cool
 * checkerboards, asked "How many squares does the grid have?" — each with its own train and test samples.
 */
package dev.perennial.prompt;

import dev.perennial.clip.ClipModel;
import dev.perennial.benchdata.SyntheticClip;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

final class TwoTaskFixture implements AutoCloseable {
    static final Backend BE = new CpuBackend();
    static final String COLOUR_Q = "What colour are the stripes? Answer with one word.";
    static final String COUNT_Q = "How many squares does the grid have?";

    final Path dir, modelDir;
    final LlavaModel model;
    final Tokenizer tokenizer;
    final ClipModel clip;
    final ClipQueries queries;
    final ImageStore llavaImages, clipImages;
    final SampleEncoder encoder;

    TwoTaskFixture(Path dir) throws IOException, URISyntaxException {
        this.dir = dir;
        Path golden = dev.perennial.benchdata.Golden.dir();
        modelDir = golden.resolve("tiny-llava-hf");
        model = LlavaModel.load(modelDir);
        tokenizer = Tokenizer.load(golden.resolveSibling("tiny-tokenizer").resolve("tokenizer.json"));
        Path clipDir = SyntheticClip.write(dir.resolve("clip"), SyntheticClip.Shape.tiny(16),
                golden.resolve("clip").resolve("clip-tokenizer"), 7);
        clip = ClipModel.load(clipDir);
        queries = new ClipQueries(clip, ClipTokenizer.load(clipDir), ClipQueries.TextQuery.POOLED);
        Path images = Files.createDirectories(dir.resolve("images"));
        llavaImages = new ImageStore(images, LlavaChat.processorFor(modelDir, model), model.config().padImageToSquare());
        clipImages = new ImageStore(images, new ClipImageProcessor(PreprocessorConfig.CLIP_VIT_L_336.withSize(queries.imageSize())), true);
        encoder = new SampleEncoder(tokenizer, ConversationTemplate.named("vicuna_v1"), model.config().imageTokenIndex(), llavaImages, 200);
    }

    /** n samples of a task ("colour" or "count"); split "train" or "test" draws different images. */
    List<LlavaSample> samples(String task, String split, int n) throws IOException {
        SplittableRandom rng = new SplittableRandom(task.hashCode() * 31L + split.hashCode());
        List<LlavaSample> out = new ArrayList<>();
        String[] colours = {"red", "orange", "yellow"};
        for (int i = 0; i < n; i++) {
            String file = task + "-" + split + "-" + i + ".png";
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            String answer;
            if (task.equals("colour")) {
                int c = rng.nextInt(3), band = 2 + rng.nextInt(4);
                int rgb = new int[]{0xE03020, 0xF09020, 0xF0E040}[c];
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, (y / band) % 2 == 0 ? rgb : 0xFFFFFF);
                answer = colours[c];
            } else {
                int cells = 2 + rng.nextInt(3), size = 32 / cells;
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, ((x / size + y / size) % 2 == 0) ? 0x2040C0 : 0x20A0A0);
                answer = String.valueOf(cells * cells);
            }
            ImageIO.write(img, "png", dir.resolve("images").resolve(file).toFile());
            String q = task.equals("colour") ? COLOUR_Q : COUNT_Q;
            out.add(new LlavaSample(i, task + "-" + split + "-" + i, List.of(file),
                    List.of(ConversationTurn.human("<image>\n" + q), ConversationTurn.gpt(answer))));
        }
        return out;
    }

    PromptTaskData data(List<LlavaSample> samples, PromptPoolConfig config) throws IOException {
        return PromptTaskData.encode(samples, encoder, queries, clipImages, config.queries(), BE);
    }

    @Override
    public void close() throws IOException {
        model.close();
        clip.close();
    }
}
