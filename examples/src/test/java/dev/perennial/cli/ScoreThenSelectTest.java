/*
 * ADAPT-∞ on the command line, end to end: `perennial score` on two small LLaVA-JSON files with the tiny checkpoint,
 * then `perennial select` on exactly the folder score wrote (vectors.npy + one .npy per scorer), with the same
 * files as --data. Checks that the two commands fit together: every scorer is an expert, the sample whose image is
 * missing (NaN vector and NaN scores) is counted in the report and never selected, selected.json holds the selected
 * records of both files with their source, the pool is pruned to the cap, and the step report and chart exist.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoreThenSelectTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");
    private static final int MISSING = 3;                          // pool row whose image does not exist

    @TempDir
    Path dir;

    /** vqa.json: 8 image questions (row 3's image is missing); chat.json: 4 text-only turns. Returns the pool's ids. */
    private List<String> datasets() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 4; i++) {
            BufferedImage bi = new BufferedImage(20 + 3 * i, 14 + i, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < bi.getHeight(); y++)
                for (int x = 0; x < bi.getWidth(); x++) bi.setRGB(x, y, (x * 11 + i * 60) % 256 << 16 | (y * 17) % 256 << 8 | 40 * i);
            ImageIO.write(bi, "png", images.resolve("img" + i + ".png").toFile());
        }
        String q = "{\"id\": \"%s\", %s\"conversations\": [{\"from\": \"human\", \"value\": \"%s\"}, {\"from\": \"gpt\", \"value\": \"%s\"}]}";
        String[] questions = {"What is it?", "Which color?", "How many?", "Where is it?"};
        String[] answers = {"a red cat", "blue", "three", "on the table", "a dog", "green and white", "two", "in the box"};
        List<String> ids = new ArrayList<>(), vqa = new ArrayList<>(), chat = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String image = i == MISSING ? "gone.png" : "img" + (i % 4) + ".png";
            vqa.add(String.format(q, "vqa-" + i, "\"image\": \"" + image + "\", ", "<image>\\n" + questions[i % 4], answers[i]));
            ids.add("vqa-" + i);
        }
        String[] turns = {"Hello there", "Tell me a story", "What is two plus two?", "Say goodbye"};
        String[] replies = {"hi", "once upon a time", "four", "goodbye"};
        for (int i = 0; i < 4; i++) {
            chat.add(String.format(q, "chat-" + i, "", turns[i], replies[i]));
            ids.add("chat-" + i);
        }
        Files.writeString(dir.resolve("vqa.json"), "[" + String.join(",\n", vqa) + "]");
        Files.writeString(dir.resolve("chat.json"), "[" + String.join(",\n", chat) + "]");
        return ids;
    }

    @Test
    void scoreThenSelectOnTheTinyCheckpoint() throws IOException {
        List<String> ids = datasets();
        String data = dir.resolve("vqa.json") + "," + dir.resolve("chat.json");
        CliRun scored = run("score", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--data", data, "--images", dir.resolve("images").toString(), "--out", dir.resolve("scored").toString(),
                "--max-length", "200", "--dim", "32", "--seed", "5");
        assertEquals(0, scored.exitCode(), scored.err());
        assertTrue(scored.out().contains("scored 12 samples (1 invalid: 1 missing image"), scored.out());

        CliRun selected = run("select", "--vectors", dir.resolve("scored/vectors.npy").toString(), "--scores",
                dir.resolve("scored").toString(), "--budget", "6", "--clusters", "2", "--seed", "1", "--prune-to", "9",
                "--data", data, "--out", dir.resolve("selected").toString());
        assertEquals(0, selected.exitCode(), selected.err());
        Path out = dir.resolve("selected");

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(12, report.get("pool_size").asInt());
        assertEquals("[\"el2n\",\"entropy\",\"grand\",\"ig\",\"ppl\"]", report.get("scorers").toString(),
                "every scorer file of `score` is an expert, in file-name order; vectors.npy is not one");
        for (String s : List.of("el2n", "entropy", "grand", "ig", "ppl"))
            assertEquals(1, report.get("nan_scores").get(s).asInt(), "the missing image's score, counted: " + s);
        int sizes = 0, chosen = 0;
        for (JsonNode c : report.get("clusters")) {
            sizes += c.get("size").asInt();
            chosen += c.get("selected").asInt();
            assertTrue(c.get("selected").asInt() <= c.get("budget").asInt(), c.toString());
        }
        assertEquals(1, report.get("non_finite_vectors").asInt(), "the missing image's NaN vector is an invalid sample");
        assertEquals(11, sizes, "the invalid sample belongs to no cluster");
        assertEquals(-1, Npy.read(out.resolve("labels.npy")).toLongArray()[MISSING]);
        assertEquals(9, report.get("pruning").get("pool_after").asInt());
        assertNotNull(ImageIO.read(out.resolve("report.png").toFile()));

        JsonNode idsJson = JSON.readTree(out.resolve("selected_ids.json").toFile());
        assertEquals(chosen, idsJson.size());
        assertTrue(chosen > 0 && chosen <= 6, "selected " + chosen);
        JsonNode records = JSON.readTree(out.resolve("selected.json").toFile());
        assertEquals(chosen, records.size());
        for (int i = 0; i < chosen; i++) {
            int row = idsJson.get(i).asInt();
            assertFalse(row == MISSING, "a sample without vector and scores is never selected");
            JsonNode rec = records.get(i);
            assertEquals(ids.get(row), rec.get("id").asText());
            assertEquals(row < 8 ? "vqa.json" : "chat.json", rec.get("perennial_source").asText());
            assertTrue(rec.get("conversations").isArray(), "the record is copied whole");
        }
        assertArrayEquals(new int[]{12}, Npy.read(out.resolve("labels.npy")).shape());
        Set<Integer> kept = new HashSet<>();
        for (JsonNode k : JSON.readTree(out.resolve("kept_ids.json").toFile())) kept.add(k.asInt());
        assertEquals(9, kept.size());
        assertTrue(kept.contains(MISSING), "the invalid sample stays in the pool, to be scored again at the next step");
    }
}
