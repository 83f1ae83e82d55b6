/*
 * RunPlan's file format: the example CoIN run file in examples/configs uses only known keys with the right types
 * (its tasks replaced by a small built-in benchmark, since the CoIN data is not here), relative paths resolve
 * against the file's folder, and mistakes are errors naming the key.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.benchdata.shapes.ShapesBenchmark;
import dev.perennial.benchdata.shapes.Skill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RunPlanTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theExampleRunFileIsValid() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR, Skill.DIGIT)));
        ObjectNode example = (ObjectNode) JSON.readTree(Path.of("../configs/coin-llava-7b.json").toFile());
        example.putObject("tasks").put("shapes", dir.resolve("bench").toString());
        RunPlan plan = RunPlan.parse(example, dir);
        assertEquals(List.of("sequential", "replay", "adapt-inf", "modalprompt"), plan.strategyNames());
        assertEquals(5000, plan.common().budget());
        assertEquals(128, plan.common().loraRank());
        assertEquals(10, ((AdaptInfStrategy.Settings) plan.strategies().get(2).settings()).clusters());
        assertEquals(Path.of("/models/clip-vit-large-patch14-336"), ((ModalPromptStrategy.Settings) plan.strategies().get(3).settings()).clip());
        assertEquals(dir.resolve("runs/coin-llava-7b"), plan.out(), "relative to the file's folder");
        assertEquals(List.of("Colour", "Digit"), plan.tasks().stream().map(Task::name).toList());
    }

    @Test
    void mistakesNameTheKey() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}";
        Files.writeString(dir.resolve("a.json"), base + ", \"budget\": \"many\"}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("a.json"))).getMessage().contains("\"budget\" must be an integer"));
        Files.writeString(dir.resolve("b.json"), base + ", \"strategies\": [\"ewc\"]}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("b.json"))).getMessage().contains("unknown strategy ewc"));
        Files.writeString(dir.resolve("c.json"), "{\"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("c.json"))).getMessage().contains("\"model\" is required"));
        Files.writeString(dir.resolve("d.json"), base + ", \"lora\": 8}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("d.json"))).getMessage().contains("\"lora\" must be an object"));
        Files.writeString(dir.resolve("e.json"), "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"csv\": \"x\"}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("e.json"))).getMessage().contains("\"coin\", \"shapes\" or \"list\""));
    }

    /** Nested keys are checked as strictly as top-level ones; a missing file is not "invalid JSON". */
    @Test
    void nestedTyposAndMissingFilesAreNamed() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}";
        Files.writeString(dir.resolve("f.json"), base + ", \"lora\": {\"rnak\": 16}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("f.json"))).getMessage().contains("unknown key \"lora.rnak\""));
        Files.writeString(dir.resolve("g.json"), "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"list\": [{\"name\": \"a\", \"trian\": \"x.json\"}]}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("g.json"))).getMessage().contains("unknown key \"tasks.list[0].trian\""));
        Files.writeString(dir.resolve("h.json"), base + ", \"adapt_inf\": {\"cluster\": 3}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("h.json"))).getMessage().contains("unknown key \"adapt_inf.cluster\""));
        Files.writeString(dir.resolve("i.json"), "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\", \"shape\": \"x\"}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("i.json"))).getMessage().contains("unknown key \"tasks.shape\""));
        IOException missing = assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("nowhere.json")));
        assertTrue(missing instanceof java.nio.file.NoSuchFileException && !missing.getMessage().contains("JSON"), missing.toString());
    }

    /**
     * Every number of a run file is range-checked when the file is read (before any work), the error naming the key
     * and the value; two task sources, a non-list "tasks.list" and a non-name strategy are errors, not ignored.
     */
    @Test
    void outOfRangeValuesAndAmbiguousTasksAreNamed() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}";
        String[][] cases = {
                {"\"budget\": 0", "\"budget\" must be at least 1, got 0"},
                {"\"epochs\": -1", "\"epochs\" must be at least 1, got -1"},
                {"\"lr\": 0", "\"lr\" must be a positive number, got 0.0"},
                {"\"lora\": {\"rank\": 0}", "\"lora.rank\" must be at least 1, got 0"},
                {"\"lora\": {\"dropout\": 1.5}", "\"lora.dropout\" must be in [0, 1), got 1.5"},
                {"\"test_limit\": -2", "\"test_limit\" must be at least 0, got -2"},
                {"\"max_length\": 0", "\"max_length\" must be at least 1, got 0"},
                // an integer beyond int used to wrap without a word (4294967297 -> 1): found while writing the run-file fuzz test
                {"\"max_length\": 4294967297", "\"max_length\" must be an integer in -2147483648..2147483647, got 4294967297"},
                {"\"lora\": {\"rank\": -4294967288}", "\"lora.rank\" must be an integer in"},
                {"\"adapt_inf\": {\"pool_cap\": 0}", "\"adapt_inf.pool_cap\" must be at least 1, got 0"},
                {"\"replay\": {\"fraction\": 1}", "\"replay.fraction\" must be in [0, 1), got 1.0"},
                {"\"modalprompt\": {\"prompts\": 0}", "\"modalprompt.prompts\" must be at least 1, got 0"},
                {"\"strategies\": [\"sequential\", 3]", "\"strategies\" must be a list of names, got 3"},
        };
        for (String[] c : cases) {
            Files.writeString(dir.resolve("r.json"), base + ", " + c[0] + "}");
            String msg = assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("r.json"))).getMessage();
            assertTrue(msg.contains(c[1]), c[0] + " gave: " + msg);
        }
        Files.writeString(dir.resolve("t.json"), "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\", \"list\": []}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("t.json"))).getMessage()
                .contains("\"tasks\" holds 2 task sources; give one of \"coin\", \"shapes\" or \"list\""));
        Files.writeString(dir.resolve("u.json"), "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"list\": {\"name\": \"a\"}}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("u.json"))).getMessage()
                .contains("\"tasks.list\" must be a list of task objects"));
    }

    /** A strategy is a plug-in: a StrategyType registered beside the standard ones, with its own strict settings. */
    record Every(int nth) {}

    static final StrategyType<Every> EVERY = new StrategyType<>() {
        @Override public String name() { return "every-nth"; }
        @Override public String settingsKey() { return "every_nth"; }
        @Override public Every defaults() { return new Every(2); }
        @Override public Every parse(JsonSettings j) { return new Every(j.known(java.util.Set.of("nth")).integer("nth", 2)); }
        @Override public Strategy create(StrategyContext c, Every e) { throw new UnsupportedOperationException("not run here"); }
    };

    @Test
    void aRegisteredStrategyIsReadWithItsOwnSettings() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        Strategies registry = Strategies.standard().register(EVERY);
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}, \"strategies\": [\"sequential\", \"every-nth\"]";
        Files.writeString(dir.resolve("p.json"), base + ", \"every_nth\": {\"nth\": 5}}");
        RunPlan plan = RunPlan.read(dir.resolve("p.json"), registry);
        assertEquals(List.of("sequential", "every-nth"), plan.strategyNames());
        assertEquals(new Every(5), plan.strategies().get(1).settings());
        Files.writeString(dir.resolve("q.json"), base + ", \"every_nth\": {\"nht\": 5}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("q.json"), registry)).getMessage()
                .contains("unknown key \"every_nth.nht\""));
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("p.json"))).getMessage().contains("unknown key \"every_nth\""),
                "without the registration its settings key is unknown");
        assertThrows(IllegalArgumentException.class, () -> Strategies.standard().register(SequentialFineTuning.TYPE));
    }
}
