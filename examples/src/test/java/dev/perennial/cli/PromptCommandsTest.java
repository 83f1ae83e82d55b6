/*
 * `perennial prompt-train` and `prompt-eval` end to end on the tiny checkpoint with a random CLIP written by
 * SyntheticClip: two tasks with distinct instruction and image styles trained one after the other into one state
 * folder, then task-agnostic answers on held-out samples of both (one JSON line each, the sample's own task selected
 * as most similar for nearly all, the histogram file agreeing); task 1's folder is not touched by task 2; and every
 * bad input the commands promise to refuse, each as one line with exit code 1.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.benchdata.SyntheticClip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class PromptCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");

    @TempDir
    Path dir;

    /** Writes n samples of a task ("colour": warm stripes; "count": cool checkerboards) and returns the JSON file. */
    private Path task(String task, String split, int n) throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        SplittableRandom rng = new SplittableRandom(task.hashCode() * 31L + split.hashCode());
        List<String> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String file = task + "-" + split + "-" + i + ".png", q, a;
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            if (task.equals("colour")) {
                int c = rng.nextInt(3), band = 2 + rng.nextInt(4), rgb = new int[]{0xE03020, 0xF09020, 0xF0E040}[c];
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, (y / band) % 2 == 0 ? rgb : 0xFFFFFF);
                q = "What colour are the stripes? Answer with one word.";
                a = new String[]{"red", "orange", "yellow"}[c];
            } else {
                int cells = 2 + rng.nextInt(3), size = 32 / cells;
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, ((x / size + y / size) % 2 == 0) ? 0x2040C0 : 0x20A0A0);
                q = "How many squares does the grid have?";
                a = String.valueOf(cells * cells);
            }
            ImageIO.write(img, "png", images.resolve(file).toFile());
            records.add(String.format("{\"id\": \"%s-%s-%d\", \"image\": \"%s\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\n%s\"}, "
                    + "{\"from\": \"gpt\", \"value\": \"%s\"}]}", task, split, i, file, q, a));
        }
        return Files.writeString(dir.resolve(task + "-" + split + ".json"), "[" + String.join(",\n", records) + "]");
    }

    private Path clip() throws IOException {
        return SyntheticClip.write(dir.resolve("clip"), SyntheticClip.Shape.tiny(16), GOLDEN.resolve("clip").resolve("clip-tokenizer"), 7);
    }

    private String[] common(Path clip, String... extra) {
        List<String> a = new ArrayList<>(List.of("--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--clip", clip.toString(), "--images", dir.resolve("images").toString(), "--max-length", "200"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    private CliRun train(Path clip, String task, Path data, String... extra) {
        List<String> a = new ArrayList<>(List.of("prompt-train"));
        a.addAll(Arrays.asList(common(clip, "--task", task, "--data", data.toString(), "--state", dir.resolve("state").toString(),
                "--epochs", "4", "--batch", "4", "--lr", "1e-2", "--prompt-length", "4")));
        a.addAll(Arrays.asList(extra));
        return run(a.toArray(String[]::new));
    }

    /** prompt-eval of the state folder on {@code test}, predictions to {@code out} (batches of 4, 3 new tokens). */
    private CliRun eval(Path clip, Path test, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        List<String> args = new ArrayList<>(List.of("prompt-eval"));
        args.addAll(Arrays.asList(common(clip, "--state", dir.resolve("state").toString(), "--data", test.toString(), "--out", out.toString(),
                "--batch", "4", "--max-new-tokens", "3")));
        return run(args.toArray(String[]::new));
    }

    private static Map<String, byte[]> files(Path folder) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(folder.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    @Test
    void trainTwoTasksThenAnswerTaskAgnostically() throws IOException {
        Path clip = clip();
        CliRun t1 = train(clip, "colour", task("colour", "train", 8));
        assertEquals(0, t1.exitCode(), t1.err());
        assertTrue(t1.out().contains("8 samples (0 skipped, 0 truncated)"), t1.out());
        assertTrue(t1.out().contains("task 1 (colour): steps 0..8"), t1.out());
        Map<String, byte[]> task1 = files(dir.resolve("state/tasks/001-colour"));

        CliRun t2 = train(clip, "count", task("count", "train", 8));
        assertEquals(0, t2.exitCode(), t2.err());
        assertTrue(t2.out().contains("task 2 (count)"), t2.out());
        assertTrue(t2.out().contains("prompts retrieved in training: all: 32 samples"), t2.out());   // 4 epochs x 8
        Map<String, byte[]> after = files(dir.resolve("state/tasks/001-colour"));
        assertEquals(task1.keySet(), after.keySet());
        task1.forEach((k, v) -> assertArrayEquals(v, after.get(k), "task 1's " + k + " is untouched by task 2"));

        // held-out samples of both tasks in one file
        Path a = task("colour", "test", 6), b = task("count", "test", 6);
        JsonNode both = JSON.createArrayNode().addAll((com.fasterxml.jackson.databind.node.ArrayNode) JSON.readTree(a.toFile()))
                .addAll((com.fasterxml.jackson.databind.node.ArrayNode) JSON.readTree(b.toFile()));
        Path test = Files.writeString(dir.resolve("test.json"), both.toString());
        Path out = dir.resolve("out/predictions.jsonl");
        CliRun e = eval(clip, test, out);
        assertEquals(0, e.exitCode(), e.err());
        assertTrue(e.out().contains("12 answered, 0 skipped"), e.out());
        List<String> lines = Files.readAllLines(out);
        assertEquals(12, lines.size());
        int right = 0;
        for (String line : lines) {
            JsonNode p = JSON.readTree(line);
            for (String f : List.of("id", "question", "answer", "reference", "selected_tasks", "scores")) assertTrue(p.has(f), f + " in " + line);
            assertEquals(2, p.get("selected_tasks").size(), "min(t, K) = 2 prompts");
            String truth = p.get("id").asText().startsWith("colour") ? "colour" : "count";
            if (p.get("selected_tasks").get(1).asText().equals(truth)) right++;
            assertTrue(p.get("scores").get(0).asDouble() <= p.get("scores").get(1).asDouble(), "most similar last");
        }
        assertTrue(right >= 11, right + " of 12 samples have their own task's prompt last\n" + e.out());
        JsonNode sel = JSON.readTree(dir.resolve("out/predictions.selection.json").toFile());
        assertEquals(12, sel.get("groups").get("test.json").get("samples").asInt());
        assertEquals(12, sel.get("groups").get("test.json").get("top").get("colour").asInt()
                + sel.get("groups").get("test.json").get("top").get("count").asInt(), "the histogram counts every sample once");
        assertTrue(e.out().contains("prompt selection: test.json: 12 samples"), e.out());
    }

    // S-Prompts through prompt-train: each task gets its own prompt and its k-means centroids as keys, and prompt-eval
    // picks the task whose nearest key is closest (one prompt per sample).
    @Test
    void sPromptsTrainsPerTaskPromptsWithCentroidKeys() throws IOException {
        Path clip = clip();
        for (String t : new String[]{"colour", "count"}) {
            CliRun r = train(clip, t, task(t, "train", 8), "--method", "s-prompts", "--centroids", "2");
            assertEquals(0, r.exitCode(), r.err());
        }
        JsonNode pool = JSON.readTree(dir.resolve("state/pool.json").toFile());
        assertEquals("s-prompts", pool.get("config").get("method").asText());
        Path out = dir.resolve("sp/predictions.jsonl");
        CliRun e = eval(clip, task("colour", "test", 4), out);
        assertEquals(0, e.exitCode(), e.err());
        for (String line : Files.readAllLines(out)) assertEquals(1, JSON.readTree(line).get("selected_tasks").size(), "argmax: one prompt, " + line);
    }

    // DualPrompt through prompt-train on the tiny model (2 decoder layers): the G-prompt prefix-tuned into layer 0 and
    // shared by both tasks, an E-prompt with its key per task in layer 1; prompt-eval picks one E-prompt per sample.
    // Layers beyond the model are refused before training, naming the model's depth.
    @Test
    void dualPromptTrainsASharedGPromptAndPerTaskEPrompts() throws IOException {
        Path clip = clip();
        CliRun deep = train(clip, "colour", task("colour", "train", 8), "--method", "dualprompt");
        assertNotEquals(0, deep.exitCode());
        assertTrue(deep.err().contains("prompt layer 2") && deep.err().contains("2 decoder layers (0-1)"), deep.err());
        assertFalse(Files.exists(dir.resolve("state/tasks/001-colour/entries.safetensors")), "nothing was trained");
        CliRun odd = train(clip, "colour", task("colour", "train", 8), "--method", "dualprompt", "--g-layers", "0", "--e-layers", "1",
                "--e-length", "5");
        assertNotEquals(0, odd.exitCode());
        assertTrue(odd.err().contains("E-prompt length must be even"), odd.err());
        deleteState();
        for (String t : new String[]{"colour", "count"}) {
            CliRun r = train(clip, t, task(t, "train", 8), "--method", "dualprompt", "--g-layers", "0", "--g-length", "4", "--e-layers", "1",
                    "--e-length", "6");
            assertEquals(0, r.exitCode(), r.err());
        }
        JsonNode pool = JSON.readTree(dir.resolve("state/pool.json").toFile());
        assertEquals("dualprompt", pool.get("config").get("method").asText());
        assertEquals("layer-prefix", pool.get("config").get("composer").get("type").asText());
        assertEquals(32, pool.get("hidden").asInt(), "prompts have the kv width");
        Path test = task("colour", "test", 4), out = dir.resolve("dp/predictions.jsonl");
        Files.createDirectories(out.getParent());
        List<String> args = new ArrayList<>(List.of("prompt-eval"));
        args.addAll(Arrays.asList(common(clip, "--state", dir.resolve("state").toString(), "--data", test.toString(), "--out", out.toString(),
                "--batch", "4", "--max-new-tokens", "3")));
        CliRun e = run(args.toArray(String[]::new));
        assertEquals(0, e.exitCode(), e.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(4, lines.size());
        for (String line : lines) assertEquals(1, JSON.readTree(line).get("selected_tasks").size(), "one E-prompt per sample, " + line);
    }

    /** Removes the prompt state folder (a test that trains several pools in turn). */
    private void deleteState() throws IOException {
        Path s = dir.resolve("state");
        if (!Files.exists(s)) return;
        try (var walk = Files.walk(s)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void badInputIsOneLine() throws IOException {
        Path clip = clip();
        Path data = task("colour", "train", 4);
        List<String> eval = new ArrayList<>(List.of("prompt-eval"));
        eval.addAll(Arrays.asList(common(clip, "--state", dir.resolve("none").toString(), "--data", data.toString(), "--out", dir.resolve("p.jsonl").toString())));
        CliRun noState = run(eval.toArray(String[]::new));
        assertOneLine(noState, "prompt-eval", "holds no prompt pool");

        CliRun badMethod = train(clip, "colour", data, "--method", "coda");
        assertEquals(2, badMethod.exitCode(), "an unknown --method is a usage error");

        Path malformed = Files.writeString(dir.resolve("bad.json"), "[{\"id\": 1, \"conversations\": ");
        assertOneLine(train(clip, "colour", malformed), "prompt-train", "bad.json");

        // widths that cannot share one key: the synthetic CLIP's text width 24 vs projection 16
        Path wide = SyntheticClip.write(dir.resolve("clip-wide"), new SyntheticClip.Shape(49408, 24, 1, 2, 48, 32, 8, 16, 1, 2, 32, 16),
                GOLDEN.resolve("clip").resolve("clip-tokenizer"), 1);
        assertOneLine(train(wide, "colour", data), "prompt-train", "projected");

        assertEquals(0, train(clip, "colour", data).exitCode());
        CliRun same = train(clip, "colour", data);
        assertEquals(0, same.exitCode(), "the same task with the same data and settings: nothing to do");
        assertTrue(same.out().contains("nothing to do"), same.out());
        assertOneLine(train(clip, "colour", data, "--seed", "3"), "prompt-train", "seed: 0 before, 3 now");
        assertOneLine(train(clip, "count", data, "--prompts", "5"), "prompt-train", "would change it");
        assertOneLine(train(clip, "bad/name", data), "prompt-train", "task names");
        Files.createDirectories(dir.resolve("state/tasks/002-half/checkpoints"));
        assertOneLine(train(clip, "count", data), "prompt-train", "task half was interrupted");
    }

    private static void assertOneLine(CliRun r, String command, String contains) {
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(1, r.errLines().stream().filter(l -> !l.isBlank()).count(), r.err());
        assertTrue(r.err().startsWith("perennial " + command + ": ") && r.err().contains(contains), r.err());
    }
}
