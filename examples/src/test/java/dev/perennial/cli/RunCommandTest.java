/*
 * `perennial run --config` end to end on a two-task built-in benchmark with a small random model written here
 * (SyntheticCheckpoint + WordTokenizer): the matrices and the table are printed, metrics.json, accuracy_matrix.csv,
 * report.md and the plots are written; a second run resumes every strategy from its last step and prints the same
 * table; the zero-shot row, forward transfer and relative gain; malformed run files are one-line errors; `perennial demo` pointed at a folder without a base model says how
 * to build one.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.benchdata.shapes.ShapesBenchmark;
import dev.perennial.benchdata.shapes.Skill;
import dev.perennial.benchdata.shapes.WordTokenizer;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.tensor.DType;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class RunCommandTest {
    @TempDir
    Path dir;

    private Path config(String extra) throws IOException {
        ShapesBenchmark.Settings bench = new ShapesBenchmark.Settings(32, 8, 4, 3, List.of(Skill.COLOUR, Skill.DIGIT));
        ShapesBenchmark.write(dir.resolve("bench"), bench);
        List<String> corpus = new ArrayList<>(ShapesBenchmark.corpus(bench));
        corpus.add(ConversationTemplate.named("vicuna_v1").generationPrompt(List.of(ConversationTurn.human("<image>\nq"))));
        WordTokenizer.Ids ids = WordTokenizer.write(Files.createDirectories(dir.resolve("model")).resolve("tokenizer.json"), corpus);
        SyntheticCheckpoint.write(dir.resolve("model"), new LlamaConfig(32, 64, 2, 4, 4, ids.vocabSize(), 1e-5f, 10000f, 256, false, 1, 2),
                new ClipVisionConfig(16, 32, 1, 2, 32, 8, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU), ids.image(), DType.F32, 5);
        String json = """
                {"model": "model", "out": "out", "tasks": {"shapes": "bench"}, "strategies": ["sequential", "replay"],
                 "budget": 6, "epochs": 1, "batch": 4, "lr": 0.01, "max_length": 256, "max_new_tokens": 3, "answer_batch": 4,
                 "lora": {"rank": 4, "alpha": 8, "dropout": 0}, "replay": {"memory": 4, "fraction": 0.5}%s}
                """.formatted(extra);
        return Files.writeString(dir.resolve("run.json"), json);
    }

    @Test
    void runsResumesAndReports() throws IOException {
        Path cfg = config("");
        CliRun r = run("run", "--config", cfg.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("## sequential") && r.out().contains("## replay"), r.out());
        assertTrue(r.out().contains("| strategy | final avg acc | BWT |"), r.out());
        assertTrue(r.err().contains("sequential: step 2/2 (Digit)"), r.err());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("out/metrics.json").toFile());
        assertEquals(12, metrics.get("strategies").get("replay").get("train_samples").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("out/report.md")));
        assertTrue(Files.isRegularFile(dir.resolve("out/plots/final.png")));
        String table = r.out().substring(r.out().indexOf("| strategy |"));

        CliRun again = run("run", "--config", cfg.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertFalse(again.err().contains("step 1/2"), "every step is already done: " + again.err());
        assertEquals(table.replaceAll("\\| \\d+ \\|\\n", "|\n"), again.out().substring(again.out().indexOf("| strategy |")).replaceAll("\\| \\d+ \\|\\n", "|\n"),
                "the same numbers (seconds aside)");
    }

    /**
     * Every strategy's matrix starts with the zero-shot row of the run's one base-model evaluation (zero_shot/), and
     * metrics.json, the printed table and report.md carry forward transfer (against that row) and the relative gain
     * against the multitask strategy. A rerun reads the stored row instead of evaluating the base model again (a
     * changed stored value shows up in the outputs).
     */
    @Test
    void zeroShotRowForwardTransferAndRelativeGain() throws IOException {
        Path cfg = config(", \"evaluate_future\": true");
        Files.writeString(cfg, Files.readString(cfg).replace("[\"sequential\", \"replay\"]", "[\"sequential\", \"multitask\"]"));
        CliRun r = run("run", "--config", cfg.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve("out/accuracy_matrix.csv"));
        assertEquals(List.of("strategy,after,Colour,Digit"), csv.subList(0, 1));
        assertTrue(csv.get(1).startsWith("sequential,zero-shot,") && csv.get(4).startsWith("multitask,zero-shot,"), csv.toString());
        String[] zero = csv.get(1).split(",");
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("out/metrics.json").toFile());
        assertEquals(Double.parseDouble(zero[2]), metrics.get("zero_shot").get("Colour").asDouble(), 1e-6);
        for (int s : new int[]{1, 4}) {
            String name = csv.get(s).split(",")[0];
            JsonNode m = metrics.get("strategies").get(name);
            assertTrue(m.has("relative_gain"), name + " lacks relative_gain: " + m);
            double afterColourOnDigit = Double.parseDouble(csv.get(s + 1).split(",", -1)[3]);
            assertEquals(afterColourOnDigit - Double.parseDouble(zero[3]), m.get("fwt").asDouble(), 1e-6, name + ": FWT = A[0][1] - b_1");
        }
        assertTrue(r.out().contains("| strategy | final avg acc | BWT | forgetting | FWT | MFT | MAA | relative gain |"), r.out());
        assertTrue(r.out().contains("| zero-shot |"), "the printed matrices start with the zero-shot row: " + r.out());
        String report = Files.readString(dir.resolve("out/report.md"));
        assertTrue(report.contains("| FWT |") && report.contains("| zero-shot |"), report);
        assertEquals(4, Files.readAllLines(dir.resolve("out/zero_shot/predictions/Digit.jsonl")).size(), "the base model's 4 answers");

        Path stored = dir.resolve("out/zero_shot/zero_shot.json");
        JsonNode z = new ObjectMapper().readTree(stored.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) z.get("accuracies")).put("Colour", 0.3);
        Files.writeString(stored, z.toString());
        CliRun again = run("run", "--config", cfg.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(0.3, new ObjectMapper().readTree(dir.resolve("out/metrics.json").toFile()).get("zero_shot").get("Colour").asDouble(), 0,
                "the rerun reads zero_shot/ (4 test records cannot score 0.3)");
    }

    @Test
    void badRunFilesAndMissingBase() throws IOException {
        Path typo = config(", \"epoch\": 3");
        CliRun r = run("run", "--config", typo.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("perennial run: ") && r.err().contains("unknown key \"epoch\""), r.err());
        CliRun missing = run("run", "--config", dir.resolve("does-not-exist.json").toString());
        assertEquals(1, missing.exitCode());
        assertEquals("perennial run: " + dir.resolve("does-not-exist.json") + ": no such file or folder", missing.err().trim());
        Path zero = Files.writeString(dir.resolve("zero.json"), Files.readString(typo).replace(", \"epoch\": 3", "")
                .replace("\"budget\": 6", "\"budget\": 0"));
        CliRun range = run("run", "--config", zero.toString());
        assertEquals(1, range.exitCode());
        assertEquals("perennial run: " + zero + ": \"budget\" must be at least 1, got 0", range.err().trim());
        assertFalse(Files.exists(dir.resolve("out")), "checked before any work");
        Files.writeString(dir.resolve("bad.json"), "{\"model\": ");
        CliRun bad = run("run", "--config", dir.resolve("bad.json").toString());
        assertTrue(bad.exitCode() == 1 && bad.err().contains("not valid JSON"), bad.err());
        Files.writeString(dir.resolve("mp.json"), Files.readString(dir.resolve("run.json")).replace(", \"epoch\": 3", "")
                .replace("[\"sequential\", \"replay\"]", "[\"modalprompt\"]"));
        CliRun mp = run("run", "--config", dir.resolve("mp.json").toString());
        assertTrue(mp.exitCode() == 1 && mp.err().contains("needs \"modalprompt\": {\"clip\": DIR}"), mp.err());
        Files.writeString(dir.resolve("dp.json"), Files.readString(dir.resolve("run.json")).replace(", \"epoch\": 3", "")
                .replace("[\"sequential\", \"replay\"]", "[\"sequential\", \"dualprompt\"]")
                .replace("\"replay\": {", "\"dualprompt\": {\"clip\": \"model\", \"e_layers\": [7]}, \"replay\": {"));
        CliRun deep = run("run", "--config", dir.resolve("dp.json").toString());
        assertEquals(1, deep.exitCode(), deep.err());
        assertTrue(deep.err().contains("\"dualprompt.e_layers\" holds layer 7 but the model has 2 decoder layers"), deep.err());
        assertFalse(Files.exists(dir.resolve("out").resolve("strategies")), "checked before the first strategy trains");
        assertFalse(Files.exists(dir.resolve("out").resolve("zero_shot")), "checked before the zero-shot row");
        CliRun demo = run("demo", "--out", dir.resolve("demo").toString(), "--base", dir.resolve("no-base").toString());
        assertEquals(1, demo.exitCode());
        assertTrue(demo.err().contains("perennial demo --build-base"), demo.err());
    }

    /**
     * "lora": {"train_projector": true} trains the projector beside every LoRA strategy's adapters (LLaVA's recipe):
     * each step's state holds it beside the adapter, and it changes from step to step.
     */
    @Test
    void runFilesCanTrainTheProjector() throws IOException {
        Path cfg = config("");
        Files.writeString(cfg, Files.readString(cfg).replace("\"lora\": {\"rank\": 4, \"alpha\": 8, \"dropout\": 0}",
                "\"lora\": {\"rank\": 4, \"alpha\": 8, \"dropout\": 0, \"train_projector\": true, \"projector_lr\": 1e-3}"));
        CliRun r = run("run", "--config", cfg.toString());
        assertEquals(0, r.exitCode(), r.err());
        for (String s : List.of("sequential", "replay")) {
            Path steps = dir.resolve("out/strategies").resolve(s).resolve("steps");
            byte[] a = Files.readAllBytes(steps.resolve("000/state/adapter/non_lora_trainables.safetensors"));
            byte[] b = Files.readAllBytes(steps.resolve("001/state/adapter/non_lora_trainables.safetensors"));
            assertFalse(java.util.Arrays.equals(a, b), s + ": the projector trains in each step");
        }
    }

    /**
     * A step whose every sample exceeds max_length before its response stops the run with the count and the cause
     * (issue 20, item 4: it used to save an untrained adapter), for the LoRA strategies and ADAPT-∞'s scoring alike.
     */
    @Test
    void aStepWithNothingToTrainStopsTheRun() throws IOException {
        Path cfg = config("");
        Files.writeString(cfg, Files.readString(cfg).replace("\"max_length\": 256", "\"max_length\": 6"));
        CliRun r = run("run", "--config", cfg.toString());
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("all 6 samples exceed max_length 6 tokens before their first response token; nothing to train"), r.err());
        assertTrue(r.err().startsWith("perennial run: ") && r.err().contains("task "), r.err());
        assertFalse(Files.exists(dir.resolve("out/strategies/sequential/steps/0000/adapter")), "no untrained adapter is saved");

        Files.writeString(cfg, Files.readString(cfg).replace("[\"sequential\", \"replay\"]", "[\"adapt-inf\"]")
                .replace("\"replay\": {\"memory\": 4, \"fraction\": 0.5}", "\"adapt_inf\": {\"clusters\": 2, \"dim\": 16, \"pool_cap\": 20}")
                .replace("\"out\": \"out\"", "\"out\": \"out-adapt\""));
        CliRun a = run("run", "--config", cfg.toString());
        assertEquals(1, a.exitCode(), a.err());
        assertTrue(a.err().contains("samples exceed max_length 6 tokens before their first response token; nothing to train"), a.err());
    }
}
