/*
 * Task sequences for a lifelong run:
 *   coin(root, imageRoot, names)  CoIN's layout: Instructions_Original/<Task>/train.json and test.json (val.json when
 *                                 there is no test.json), images under one root; each CoIN task gets its scorer
 *                                 (docs/methods/modalprompt.md §10.4): ScienceQA scienceqa, TextVQA vqa, ImageNet substring, GQA
 *                                 gqa, VizWiz and VQAv2 exact_upper, Grounding grounding, OCRVQA exact_lower; a
 *                                 task of another name gets "exact".
 *   shapes(root)                  the built-in benchmark (written by perennial-bench-data's ShapesBenchmark): CoIN's
 *                                 layout plus a manifest benchmark.json whose "tasks" give the order; word answers use
 *                                 "short", grounding "grounding".
 * Missing files are reported with the task and path before any training starts.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Task sequences for a lifelong run: {@code coin} reads CoIN's layout ({@code Instructions_Original/<Task>/} with
 * {@code train.json} and {@code test.json} or {@code val.json}) and gives each CoIN task its answer scorer, and
 * {@code shapes} reads the built-in benchmark in its manifest's order. Missing files are reported before any training.
 * <p>Stateless; its static methods are safe to call from several threads (its static lists and maps are immutable, and
 * each call uses its own {@code ObjectMapper}).
 */
public final class TaskStreams {
    /** CoIN's folder of instruction files, the images folder of a benchmark, and the built-in benchmark's manifest. */
    public static final String INSTRUCTIONS = "Instructions_Original", IMAGES = "images", MANIFEST = "benchmark.json";
    /** CoIN's task order (docs/methods/modalprompt.md §10.1). */
    public static final List<String> COIN_ORDER = List.of("ScienceQA", "TextVQA", "ImageNet", "GQA", "VizWiz", "Grounding", "VQAv2", "OCRVQA");
    private static final Map<String, String> COIN_SCORERS = Map.of("ScienceQA", "scienceqa", "TextVQA", "vqa", "ImageNet", "substring",
            "GQA", "gqa", "VizWiz", "exact_upper", "Grounding", "grounding", "VQAv2", "exact_upper", "OCRVQA", "exact_lower");

    private TaskStreams() {}

    /** The tasks {@code names} (in that order) of a CoIN-layout folder whose images live under {@code imageRoot}. */
    public static List<Task> coin(Path root, Path imageRoot, List<String> names) throws IOException {
        List<Task> out = new ArrayList<>();
        for (String name : names) {
            Path dir = root.resolve(INSTRUCTIONS).resolve(name);
            Path train = dir.resolve("train.json"), test = dir.resolve("test.json");
            if (!Files.isRegularFile(test)) test = dir.resolve("val.json");
            if (!Files.isRegularFile(train)) throw new NoSuchFileException(train.toString(), null, "task " + name + " has no train.json");
            if (!Files.isRegularFile(test)) throw new NoSuchFileException(dir.resolve("test.json").toString(), null, "task " + name + " has no test.json or val.json");
            out.add(new Task(name, train, test, imageRoot, COIN_SCORERS.getOrDefault(name, "exact")));
        }
        if (!Files.isDirectory(imageRoot)) throw new NoSuchFileException(imageRoot.toString(), null, "the image root is not a folder");
        return out;
    }

    /** The built-in benchmark in {@code root}, in its manifest's order. */
    public static List<Task> shapes(Path root) throws IOException {
        Path manifest = root.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) throw new NoSuchFileException(manifest.toString(), null, "not a built-in benchmark folder (no manifest)");
        JsonNode m = new ObjectMapper().readTree(manifest.toFile());
        List<String> names = new ArrayList<>();
        for (JsonNode t : m.path("tasks")) names.add(t.asText());
        List<Task> coin = coin(root, root.resolve(IMAGES), names);
        List<Task> out = new ArrayList<>();
        for (Task t : coin) out.add(new Task(t.name(), t.train(), t.test(), t.imageRoot(), t.name().equals("Grounding") ? "grounding" : "short"));
        return out;
    }
}
