/*
 * The built-in benchmark generator: every answer agrees with the pixels it describes (checked on the rendered
 * image, not on the generator's bookkeeping where possible), the folder has CoIN's layout and record fields, and
 * the output is a pure function of the settings.
 */
package dev.perennial.benchdata.shapes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.image.ImageDecoder;
import dev.perennial.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ShapesBenchmarkTest {
    static final ShapesBenchmark.Settings SMALL = new ShapesBenchmark.Settings(32, 12, 5, 7, List.of(Skill.values()));

    @TempDir
    Path dir;

    private static int rgb(RgbImage img, int x, int y) {
        return img.sample(x, y, 0) << 16 | img.sample(x, y, 1) << 8 | img.sample(x, y, 2);
    }

    @Test
    void answersDescribeThePixels() {
        for (Skill skill : Skill.values()) {
            for (Skill.Item item : ShapesBenchmark.items(SMALL, skill, "train")) {
                RgbImage img = item.scene().render();
                Map<Integer, Integer> counts = new HashMap<>();
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) counts.merge(rgb(img, x, y), 1, Integer::sum);
                int bg = item.scene().background();
                switch (skill) {
                    case COLOUR -> {
                        counts.remove(bg);
                        assertEquals(1, counts.size(), "one colour besides the background");
                        int c = counts.keySet().iterator().next();
                        assertEquals(Scene.Colour.valueOf(item.answer().toUpperCase()).rgb, c);
                    }
                    case SHAPE -> assertEquals(item.scene().shapes().get(0).kind().word, item.answer());
                    case COUNT -> assertEquals(String.valueOf(item.scene().shapes().size()), item.answer());
                    case SPATIAL -> {
                        // the named colours' pixel centroids decide left/right
                        String[] w = item.question().split(" ");
                        int first = Scene.Colour.valueOf(w[2].toUpperCase()).rgb, second = Scene.Colour.valueOf(w[9].toUpperCase()).rgb;
                        assertTrue(meanX(img, first) < meanX(img, second) == item.answer().equals("left"), item.question());
                    }
                    case DIGIT -> {
                        Scene.Digit d = item.scene().digit();
                        assertEquals(String.valueOf(d.value()), item.answer());
                        int on = 0;
                        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) if (rgb(img, x, y) == d.rgb()) on++;
                        int bits = 0;
                        for (int y = 0; y < 5; y++) for (int x = 0; x < 3; x++) if (d.covers(d.x() + x * d.scale(), d.y() + y * d.scale())) bits++;
                        assertEquals(bits * d.scale() * d.scale(), on, "the whole digit is on the canvas");
                    }
                    case GROUNDING -> {
                        double[] b = item.box();
                        assertEquals(Skill.formatBox(b), item.answer());
                        Scene.Shape target = item.scene().shapes().stream()
                                .filter(s -> item.question().contains(s.colour().word + " " + s.kind().word)).findFirst().orElseThrow();
                        int x0 = 32, y0 = 32, x1 = 0, y1 = 0;
                        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) {
                            if (target.covers(x, y)) {
                                x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
                            }
                        }
                        assertArrayEquals(new double[]{x0 / 32.0, y0 / 32.0, x1 / 32.0, y1 / 32.0}, b, 1e-12);
                        assertEquals(2, item.scene().shapes().size());
                        Scene.Shape a = item.scene().shapes().get(0), c = item.scene().shapes().get(1);
                        assertFalse(a.colour() == c.colour() && a.kind() == c.kind(), "the question names exactly one shape");
                    }
                }
            }
        }
    }

    @Test
    void baseQuestionsAskTheSameInTheNeutralStyle() {
        for (Skill skill : Skill.values()) {
            for (Skill.Item item : ShapesBenchmark.items(SMALL, skill, "train")) {
                assertTrue(item.baseQuestion().startsWith("Answer with "), item.baseQuestion());
                assertNotEquals(item.question(), item.baseQuestion());
                switch (skill) {
                    case SPATIAL -> {
                        // the same two colours, in the same order: the answer stays right for the neutral question
                        String[] w = item.question().split(" "), b = item.baseQuestion().replace("?", "").split(" ");
                        assertEquals(w[2], b[8]);
                        assertEquals(w[9], b[12]);
                    }
                    case GROUNDING -> {
                        String named = item.question().substring("Where is the ".length(), item.question().indexOf('?'));
                        assertEquals("Answer with the box of the " + named + ".", item.baseQuestion());
                    }
                    default -> { }
                }
            }
        }
    }

    private static double meanX(RgbImage img, int colour) {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) if (rgb(img, x, y) == colour) { sum += x; n++; }
        assertTrue(n > 0, "colour present");
        return sum / n;
    }

    @Test
    void writesCoinLayoutDeterministically() throws Exception {
        ShapesBenchmark.write(dir.resolve("a"), SMALL);
        ShapesBenchmark.write(dir.resolve("b"), SMALL);
        ShapesBenchmark.write(dir.resolve("c"), new ShapesBenchmark.Settings(32, 12, 5, 8, List.of(Skill.values())));
        ObjectMapper json = new ObjectMapper();
        for (Skill skill : Skill.values()) {
            Path task = Path.of(ShapesBenchmark.INSTRUCTIONS, skill.task);
            for (String split : List.of("train", "test")) {
                Path f = task.resolve(split + ".json");
                assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(f)), Files.readAllBytes(dir.resolve("b").resolve(f)), f.toString());
                JsonNode records = json.readTree(dir.resolve("a").resolve(f).toFile());
                assertEquals(split.equals("train") ? 12 : 5, records.size());
                for (JsonNode r : records) {
                    RgbImage img = ImageDecoder.read(dir.resolve("a").resolve(ShapesBenchmark.IMAGES).resolve(r.get("image").asText()));
                    assertEquals(32, img.width());
                    if (split.equals("train")) {
                        assertTrue(r.get("conversations").get(0).get("value").asText().startsWith("<image>\n"));
                        assertEquals("gpt", r.get("conversations").get(1).get("from").asText());
                    } else {
                        assertTrue(r.has("question_id") && r.has("text") && r.has("answer"));
                        assertEquals(skill == Skill.GROUNDING, r.has("answer_bbox"));
                        assertEquals(skill == Skill.GROUNDING, r.has("size"));
                    }
                }
                // both splits read with the LLaVA-JSON reader README points to (test records as question + reference)
                try (var reader = dev.perennial.data.LlavaJsonReader.open(dir.resolve("a").resolve(f), dev.perennial.data.InvalidSamples.FAIL)) {
                    int n = 0;
                    for (dev.perennial.data.LlavaSample sample; (sample = reader.read()) != null; n++) {
                        assertEquals(2, sample.conversations().size(), f.toString());
                        assertEquals(records.get(n).get("image").asText(), sample.images().get(0));
                        if (split.equals("test")) assertEquals(records.get(n).get("answer").asText(), sample.conversations().get(1).value());
                    }
                    assertEquals(records.size(), n);
                }
                RgbImage a0 = ImageDecoder.read(dir.resolve("a/images").resolve(skill.task).resolve(split + "-00000.png"));
                RgbImage b0 = ImageDecoder.read(dir.resolve("b/images").resolve(skill.task).resolve(split + "-00000.png"));
                assertEquals(a0, b0);
            }
            assertNotEquals(Files.readString(dir.resolve("a").resolve(task).resolve("train.json")),
                    Files.readString(dir.resolve("c").resolve(task).resolve("train.json")), "another seed, other items");
        }
        JsonNode manifest = json.readTree(dir.resolve("a/benchmark.json").toFile());
        assertEquals(6, manifest.get("tasks").size());
        // a task's items do not depend on which other tasks are generated
        var onlyDigits = new ShapesBenchmark.Settings(32, 12, 5, 7, List.of(Skill.DIGIT));
        assertEquals(ShapesBenchmark.items(SMALL, Skill.DIGIT, "test").stream().map(Skill.Item::answer).toList(),
                ShapesBenchmark.items(onlyDigits, Skill.DIGIT, "test").stream().map(Skill.Item::answer).toList());
    }
}
