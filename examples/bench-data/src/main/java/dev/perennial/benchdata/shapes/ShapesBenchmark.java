/*
 * Writes the built-in multimodal benchmark to a folder in CoIN's layout, so the same task loaders
 * run it and real CoIN data:
 *
 *   images/<Task>/{train,test}-NNNNN.png          the pictures (RGB, size × size)
 *   Instructions_Original/<Task>/train.json       LLaVA conversations: {"id", "image", "conversations": [human, gpt]}
 *   Instructions_Original/<Task>/test.json        CoIN test records: {"question_id", "image", "text", "answer"}
 *                                                 (+ "answer_bbox" and "size" for grounding)
 *   benchmark.json                                the settings and the task order
 *
 * Image paths are relative to images/. Everything is a function of the settings: each (skill, split) draws from its
 * own seeded stream, so adding a skill or changing a split size leaves the other tasks' items unchanged.
 */
package dev.perennial.benchdata.shapes;

import dev.perennial.lifelong.Task;
import dev.perennial.lifelong.TaskStreams;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.image.RgbImage;
import dev.perennial.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

public final class ShapesBenchmark {
    public static final String INSTRUCTIONS = TaskStreams.INSTRUCTIONS, IMAGES = TaskStreams.IMAGES, MANIFEST = TaskStreams.MANIFEST;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param imageSize    canvas side in pixels
     * @param trainPerTask training conversations per task
     * @param testPerTask  held-out test records per task
     * @param seed         the benchmark seed
     * @param skills       the tasks, in training order
     */
    public record Settings(int imageSize, int trainPerTask, int testPerTask, long seed, List<Skill> skills) {
        public Settings {
            skills = List.copyOf(skills);
            if (imageSize < 24) throw new IllegalArgumentException("image size must be >= 24, got " + imageSize);
            if (trainPerTask < 0 || testPerTask < 0) throw new IllegalArgumentException("split sizes must be >= 0");
            if (skills.isEmpty() || skills.stream().distinct().count() != skills.size()) throw new IllegalArgumentException("skills must be distinct and not empty");
        }

        /** 32 px, 300 training and 100 test items per task, all six skills in declaration order, seed 0. */
        public static Settings defaults() {
            return new Settings(32, 300, 100, 0, List.of(Skill.values()));
        }
    }

    private ShapesBenchmark() {}

    /** The items of one task and split ("train" or "test"), as the writer produces them. */
    public static List<Skill.Item> items(Settings s, Skill skill, String split) {
        int n = split.equals("train") ? s.trainPerTask() : s.testPerTask();
        SplittableRandom rng = new SplittableRandom(mix(s.seed(), skill.ordinal() * 2L + (split.equals("train") ? 0 : 1)));
        java.util.ArrayList<Skill.Item> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(skill.generate(rng, s.imageSize()));
        return out;
    }

    /** Every question and answer of the benchmark's tasks, both splits (a tokenizer's corpus). */
    public static List<String> corpus(Settings s) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (Skill skill : s.skills()) {
            for (String split : List.of("train", "test")) {
                for (Skill.Item item : items(s, skill, split)) {
                    out.add("<image>\n" + item.question());
                    out.add(item.answer());
                }
            }
        }
        return out;
    }

    /** Writes the benchmark into {@code root} (created if needed; existing files of the same names are replaced). */
    public static void write(Path root, Settings s) throws IOException {
        for (Skill skill : s.skills()) {
            Path images = Files.createDirectories(root.resolve(IMAGES).resolve(skill.task));
            Path task = Files.createDirectories(root.resolve(INSTRUCTIONS).resolve(skill.task));
            for (String split : List.of("train", "test")) {
                ArrayNode records = JSON.createArrayNode();
                List<Skill.Item> items = items(s, skill, split);
                for (int i = 0; i < items.size(); i++) {
                    Skill.Item item = items.get(i);
                    String name = String.format(Locale.ROOT, "%s-%05d.png", split, i);
                    AtomicFiles.write(images.resolve(name), png(item.scene().render()));
                    String image = skill.task + "/" + name, id = skill.task.toLowerCase(Locale.ROOT) + "-" + split + "-" + i;
                    ObjectNode r = records.addObject();
                    if (split.equals("train")) {
                        r.put("id", id);
                        r.put("image", image);
                        ArrayNode conv = r.putArray("conversations");
                        conv.addObject().put("from", "human").put("value", "<image>\n" + item.question());
                        conv.addObject().put("from", "gpt").put("value", item.answer());
                    } else {
                        r.put("question_id", id);
                        r.put("image", image);
                        r.put("text", item.question());
                        r.put("answer", item.answer());
                        if (item.box() != null) {
                            r.put("answer_bbox", item.answer());
                            r.putArray("size").add(s.imageSize()).add(s.imageSize());
                        }
                    }
                }
                AtomicFiles.write(task.resolve(split + ".json"), JSON.writeValueAsBytes(records));
            }
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", "perennial-shapes/1");
        manifest.put("image_size", s.imageSize());
        manifest.put("train_per_task", s.trainPerTask());
        manifest.put("test_per_task", s.testPerTask());
        manifest.put("seed", s.seed());
        ArrayNode order = manifest.putArray("tasks");
        s.skills().forEach(k -> order.add(k.task));
        AtomicFiles.write(root.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
    }

    /** The picture as PNG bytes. */
    public static byte[] png(RgbImage img) throws IOException {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) bi.setRGB(x, y, img.sample(x, y, 0) << 16 | img.sample(x, y, 1) << 8 | img.sample(x, y, 2));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(bi, "png", out)) throw new IOException("no PNG writer in this JDK");
        return out.toByteArray();
    }

    /** SplitMix64 finaliser of (seed, i). */
    public static long mix(long seed, long i) {
        long z = seed + 0x9E3779B97F4A7C15L * (i + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
