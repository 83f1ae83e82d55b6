/*
 * README's Java is real code: every ```java block of README.md is preceded by a snippet marker naming a file and a
 * region ("<!-- snippet: PATH#NAME -->"), the block is that region of the compiled file word for word (indentation
 * removed), and each example runs here on the tiny models of the test resources: the chat and forward on the tiny
 * LLaVA, LoRA training on three LLaVA-JSON records, the CLIP queries and ModalPrompt on a synthetic CLIP (twice, so
 * the second run opens the pool the first one wrote).
 */
package dev.perennial.cli;

import dev.perennial.benchdata.SyntheticClip;
import dev.perennial.data.LlavaSample;
import dev.perennial.examples.ChatExample;
import dev.perennial.examples.ClipQueriesExample;
import dev.perennial.examples.LoraExample;
import dev.perennial.examples.ModalPromptExample;
import dev.perennial.prompt.PromptInference;
import dev.perennial.prompt.PromptPoolState;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTurn;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.perennial.cli.CliRun.GOLDEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void everyJavaBlockOfTheReadmeIsItsCompiledExampleWordForWord() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher blocks = Pattern.compile("(?m)^```java\\n").matcher(readme);
        int java = 0;
        while (blocks.find()) java++;
        Matcher m = Pattern.compile("<!-- snippet: ([^#]+)#(\\w+) -->\\n```java\\n(.*?)\\n```\\n", Pattern.DOTALL).matcher(readme);
        int checked = 0;
        while (m.find()) {
            assertEquals(region(ROOT.resolve(m.group(1)), m.group(2)), m.group(3), "README's block " + m.group(2) + " differs from " + m.group(1));
            checked++;
        }
        assertEquals(java, checked, "every ```java block of README.md needs a snippet marker and a compiled example");
        assertTrue(checked >= 4, "the four examples are in README: " + checked);
    }

    /** The lines between "// README:NAME" and "// README:end", their common indentation removed. */
    private static String region(Path file, String name) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int start = -1, end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("// README:" + name)) start = i;
            else if (start >= 0 && lines.get(i).strip().equals("// README:end")) { end = i; break; }
        }
        assertTrue(start >= 0 && end > start, file + " has no region " + name);
        List<String> body = lines.subList(start + 1, end);
        int indent = Integer.MAX_VALUE;
        for (String l : body) if (!l.isBlank()) indent = Math.min(indent, l.length() - l.stripLeading().length());
        List<String> out = new ArrayList<>();
        for (String l : body) out.add(l.isBlank() ? "" : l.substring(indent));
        return String.join("\n", out);
    }

    /** The tiny LLaVA with its tokenizer beside it, as a downloaded checkpoint folder would be. */
    private Path tinyModel() throws IOException {
        Path m = Files.createDirectories(dir.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(GOLDEN.resolve("tiny-llava-hf").resolve(f), m.resolve(f));
        Files.copy(GOLDEN.resolve("../tiny-tokenizer/tokenizer.json").normalize(), m.resolve("tokenizer.json"));
        return m;
    }

    private Path image(String name, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(24, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) for (int x = 0; x < 24; x++) img.setRGB(x, y, (x + y) % 5 == 0 ? 0xFFFFFF : rgb);
        Path p = Files.createDirectories(dir.resolve("images")).resolve(name);
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    private static String stdout(ThrowingRunnable body) throws IOException {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws IOException;
    }

    @Test
    void theChatExampleAnswersAndGivesLogits() throws IOException {
        Path model = tinyModel(), photo = image("photo.png", 0x3060C0);
        String out = stdout(() -> ChatExample.run(model, photo));
        assertTrue(out.matches("(?s).* \\| logits \\[1, \\d+, 320\\]\\s*"), out);
    }

    @Test
    void theLoraExampleTrainsAndSavesAPeftAdapter() throws IOException {
        Path model = tinyModel();
        image("a.png", 0xC03030);
        String q = "{\"id\": \"%s\", \"image\": \"a.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nColour?\"}, "
                + "{\"from\": \"gpt\", \"value\": \"%s\"}]}";
        Path json = Files.writeString(dir.resolve("train.json"), "[" + String.format(q, "a", "red") + "," + String.format(q, "b", "red")
                + "," + String.format(q, "c", "a red picture") + "]");
        Trainer.Result r = LoraExample.run(model, json, dir.resolve("images"), dir.resolve("out"), new CpuBackend(), 1);
        assertTrue(r.lastStep() > 0, "trained " + r);
        assertTrue(Files.isRegularFile(dir.resolve("out/adapter/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("out/adapter/adapter_config.json")));
    }

    @Test
    void theClipAndModalPromptExamplesRunAndAPoolIsOpenedAgain() throws IOException {
        Path clip = SyntheticClip.write(dir.resolve("clip"), SyntheticClip.Shape.tiny(16), GOLDEN.resolve("clip/clip-tokenizer"), 7);
        int size = dev.perennial.clip.ClipConfig.load(clip.resolve("config.json")).vision().imageSize();
        String out = stdout(() -> ClipQueriesExample.run(clip, Tensor.zeros(2, 3, size, size), new CpuBackend()));
        assertTrue(out.matches("text query \\[1, \\d+\\], image query \\[2, \\d+\\]\\s*"), out);

        Path model = tinyModel();
        image("r.png", 0xD02020);
        image("b.png", 0x2020D0);
        TrainConfig cfg = new TrainConfig(1, 2, 1, 1e-2, 0, 0, 1.0, 0, 2, 0);
        Path state = dir.resolve("pool");
        List<PromptInference.Prediction> first = ModalPromptExample.run(model, clip, dir.resolve("images"), state, "red",
                samples("r.png", "red"), samples("r.png", "red").subList(0, 1), cfg, new CpuBackend(), 3);
        assertEquals(1, first.size());
        List<PromptInference.Prediction> second = ModalPromptExample.run(model, clip, dir.resolve("images"), state, "blue",
                samples("b.png", "blue"), samples("b.png", "blue").subList(0, 2), cfg, new CpuBackend(), 3);
        assertEquals(2, second.size());
        assertEquals(List.of("red", "blue"), PromptPoolState.open(state).tasks().stream().map(PromptPoolState.Task::name).toList(),
                "the second run continued the pool the first wrote");
    }

    private static List<LlavaSample> samples(String image, String answer) {
        List<LlavaSample> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(new LlavaSample(i, answer + i, List.of(image),
                    List.of(ConversationTurn.human("<image>\nWhat colour is it?"), ConversationTurn.gpt(answer))));
        }
        return out;
    }
}
