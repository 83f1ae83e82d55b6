/*
 * A CoIN-layout folder with a few records of three tasks (ScienceQA with option letters, VQAv2 whose split is
 * val.json, Grounding with answer_bbox and size) loads and runs end to end through `perennial run` with a small
 * random model: each task's predictions are scored by its CoIN scorer, the matrix is complete, metrics.json is
 * written. A missing task folder is a one-line error naming it.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.benchdata.shapes.WordTokenizer;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.tensor.DType;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class CoinRunTest {
    @TempDir
    Path dir;

    private void task(String name, String testFile, String question, String answer, String testExtra) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("coin/Instructions_Original").resolve(name));
        Path images = Files.createDirectories(dir.resolve("images").resolve(name));
        List<String> train = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            BufferedImage bi = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) bi.setRGB(x, y, (x * 8 + i * 40) << 16 | (y * 8) << 8 | name.length() * 20);
            ImageIO.write(bi, "png", images.resolve(i + ".png").toFile());
            String image = name + "/" + i + ".png";
            if (i < 4) {
                train.add(String.format("{\"id\": \"%s-%d\", \"image\": \"%s\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\n%s\"}, "
                        + "{\"from\": \"gpt\", \"value\": \"%s\"}]}", name, i, image, question, answer));
            } else {
                test.add(String.format("{\"question_id\": %d, \"image\": \"%s\", \"text\": \"%s\", \"answer\": \"%s\"%s}", i, image, question, answer, testExtra));
            }
        }
        Files.writeString(folder.resolve("train.json"), "[" + String.join(",\n", train) + "]");
        Files.writeString(folder.resolve(testFile), "[" + String.join(",\n", test) + "]");
    }

    @Test
    void coinLayoutRunsEndToEnd() throws IOException {
        task("ScienceQA", "test.json", "Which is a magnet? A. iron B. wood\\nAnswer with the option's letter from the given choices directly.", "A", "");
        task("VQAv2", "val.json", "What color is it?\\nAnswer the question using a single word or phrase.", "red", "");
        task("Grounding", "test.json", "Please provide the bounding box coordinate of the region this sentence describes: the ball.",
                "[0.12, 0.34, 0.56, 0.78]", ", \"answer_bbox\": \"[0.12, 0.34, 0.56, 0.78]\", \"size\": [32, 32]");
        List<String> corpus = List.of(ConversationTemplate.named("vicuna_v1").generationPrompt(List.of(ConversationTurn.human("<image>\nq"))),
                "Which is a magnet? A. iron B. wood Answer with the option's letter from the given choices directly. What color is it? "
                        + "Answer the question using a single word or phrase. Please provide the bounding box coordinate of the region this sentence describes: the ball. red [0.12, 0.34, 0.56, 0.78]");
        WordTokenizer.Ids ids = WordTokenizer.write(Files.createDirectories(dir.resolve("model")).resolve("tokenizer.json"), corpus);
        SyntheticCheckpoint.write(dir.resolve("model"), new LlamaConfig(32, 64, 2, 4, 4, ids.vocabSize(), 1e-5f, 10000f, 256, false, 1, 2),
                new ClipVisionConfig(16, 32, 1, 2, 32, 8, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU), ids.image(), DType.F32, 9);
        Path cfg = Files.writeString(dir.resolve("coin.json"), """
                {"model": "model", "out": "out", "strategies": ["sequential"], "budget": 4, "epochs": 1, "batch": 2, "lr": 0.01,
                 "max_length": 256, "max_new_tokens": 4, "answer_batch": 2, "lora": {"rank": 2, "alpha": 4, "dropout": 0},
                 "tasks": {"coin": {"root": "coin", "images": "images", "order": ["ScienceQA", "VQAv2", "Grounding"]}}}
                """);
        CliRun r = run("run", "--config", cfg.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("out/metrics.json").toFile());
        assertEquals("[\"ScienceQA\",\"VQAv2\",\"Grounding\"]", metrics.get("tasks").toString());
        assertEquals(12, metrics.get("strategies").get("sequential").get("train_samples").asInt());
        Path preds = dir.resolve("out/strategies/sequential/steps/002/predictions");
        for (String t : List.of("ScienceQA", "VQAv2", "Grounding")) {
            List<String> lines = Files.readAllLines(preds.resolve(t + ".jsonl"));
            assertEquals(2, lines.size(), t);
            for (String l : lines) assertTrue(new ObjectMapper().readTree(l).has("score"), l);
        }

        Files.writeString(dir.resolve("missing.json"), Files.readString(cfg).replace("\"Grounding\"]", "\"OCRVQA\"]"));
        CliRun missing = run("run", "--config", dir.resolve("missing.json").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().startsWith("perennial run: ") && missing.err().contains("OCRVQA"), missing.err());
    }
}
