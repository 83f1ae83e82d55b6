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
        ModalPromptStrategy.Settings mp = (ModalPromptStrategy.Settings) plan.strategies().get(3).settings();
        assertEquals(Path.of("/models/clip-vit-large-patch14-336"), mp.clip());
        assertEquals(PromptProtocol.paper(), mp.protocol(), "ModalPrompt trains on all of a task's data for 10 epochs, as the paper");
        assertEquals(dev.perennial.cluster.KMeans.DEFAULT_N_INIT, ((AdaptInfStrategy.Settings) plan.strategies().get(2).settings()).nInit());
        example.putObject("adapt_inf").put("n_init", 3);
        assertEquals(3, ((AdaptInfStrategy.Settings) RunPlan.parse(example, dir).strategies().get(2).settings()).nInit());
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

    /** The prompt strategies' protocol: the papers' by default, the run's budget when asked, bad values named. */
    @Test
    void promptStrategiesOwnTheirProtocol() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}, \"strategies\": [\"modalprompt\", \"l2p\", \"s-prompts\"]";
        Files.writeString(dir.resolve("p.json"), base + ", \"modalprompt\": {\"clip\": \"c\", \"protocol\": \"equal_budget\"}, "
                + "\"l2p\": {\"clip\": \"c\", \"data_fraction\": 0.25, \"epochs\": 3}, \"s_prompts\": {\"clip\": \"c\"}}");
        RunPlan plan = RunPlan.read(dir.resolve("p.json"));
        assertEquals(PromptProtocol.sharedBudget(), ((ModalPromptStrategy.Settings) plan.strategies().get(0).settings()).protocol());
        assertEquals(new PromptProtocol(false, 0.25, 3), ((L2pStrategy.Settings) plan.strategies().get(1).settings()).protocol());
        assertEquals(PromptProtocol.paper(), ((SPromptsStrategy.Settings) plan.strategies().get(2).settings()).protocol());
        // DualPrompt's settings: layers as lists, even lengths, disjoint layers; every key checked
        String dual = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}, \"strategies\": [\"dualprompt\"]";
        Files.writeString(dir.resolve("d.json"), dual + ", \"dualprompt\": {\"clip\": \"c\", "
                + "\"g_layers\": [0], \"g_length\": 4, \"e_layers\": [1, 2], \"e_length\": 8, \"lr\": 0.01}}");
        DualPromptStrategy.Settings dp = (DualPromptStrategy.Settings) RunPlan.read(dir.resolve("d.json")).strategies().get(0).settings();
        assertEquals(List.of(0), dp.gLayers());
        assertEquals(List.of(1, 2), dp.eLayers());
        assertEquals(4, dp.gLength());
        assertEquals(8, dp.eLength());
        assertEquals(PromptProtocol.paper(), dp.protocol());
        String[][] bad = {
                {"\"g_layers\": [0, 1], \"e_layers\": [1]", "layer 1 is in both \"dualprompt.g_layers\""},
                {"\"e_length\": 5", "\"dualprompt.e_length\" must be even"},
                {"\"g_layers\": 0", "\"dualprompt.g_layers\" must be a list of integers"},
                {"\"e_layers\": []", "\"dualprompt.e_layers\" must list at least one"},
                {"\"e_lenght\": 4", "unknown key \"dualprompt.e_lenght\""}};
        for (String[] c : bad) {
            Files.writeString(dir.resolve("d.json"), dual + ", \"dualprompt\": {\"clip\": \"c\", " + c[0] + "}}");
            String m = assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("d.json"))).getMessage();
            assertTrue(m.contains(c[1]), c[0] + ": " + m);
        }
        Files.writeString(dir.resolve("q.json"), base + ", \"modalprompt\": {\"clip\": \"c\", \"protocol\": \"budget\"}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("q.json"))).getMessage().contains("\"modalprompt.protocol\" must be"));
        Files.writeString(dir.resolve("r.json"), base + ", \"s_prompts\": {\"clip\": \"c\", \"data_fraction\": 0}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("r.json"))).getMessage().contains("data_fraction"));
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
                {"\"adapt_inf\": {\"n_init\": 0}", "\"adapt_inf.n_init\" must be at least 1, got 0"},
                {"\"adapt_inf\": {\"n_init\": 2.5}", "\"adapt_inf.n_init\" must be an integer"},
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

    /**
     * A run file that sets nothing gets the recipe docs/methods/adapt-inf.md lists as ADAPT-∞'s (Appendix B): K = 10,
     * LoRA r 128 / α 256 / dropout 0.05, lr 2e-4, one epoch, and each step merging the previous adapter and training a
     * fresh one; the sequential baseline keeps one adapter unless told to merge; the projector stays frozen unless
     * "lora.train_projector" (then at 2e-5, LLaVA's projector rate). Wrong types and values are named.
     */
    @Test
    void runFilesDefaultToThePapersRecipe() throws IOException {
        ShapesBenchmark.write(dir.resolve("bench"), new ShapesBenchmark.Settings(32, 2, 2, 0, List.of(Skill.COLOUR)));
        String base = "{\"model\": \"m\", \"out\": \"o\", \"tasks\": {\"shapes\": \"bench\"}, \"strategies\": [\"sequential\", \"adapt-inf\"]";
        Files.writeString(dir.resolve("d.json"), base + "}");
        RunPlan plan = RunPlan.read(dir.resolve("d.json"));
        RunSettings c = plan.common();
        assertEquals(List.of(128, 256f, 0.05f, 2e-4, 1), List.of(c.loraRank(), c.loraAlpha(), c.loraDropout(), c.lr(), c.epochs()));
        assertEquals(256f / 128, c.lora().scaling());
        assertFalse(c.trainProjector(), "the projector stays frozen unless asked");
        assertEquals(2e-5, c.projectorLr());
        assertEquals(new AdaptInfStrategy.Settings(10, 8192, 5000, true, dev.perennial.cluster.KMeans.DEFAULT_N_INIT), plan.strategies().get(1).settings());
        assertEquals(new SequentialFineTuning.Settings(false), plan.strategies().get(0).settings());

        Files.writeString(dir.resolve("e.json"), base + ", \"adapt_inf\": {\"merge_between_steps\": false}, \"sequential\": {\"merge_between_steps\": true}}");
        plan = RunPlan.read(dir.resolve("e.json"));
        assertFalse(((AdaptInfStrategy.Settings) plan.strategies().get(1).settings()).mergeBetweenSteps());
        assertTrue(((SequentialFineTuning.Settings) plan.strategies().get(0).settings()).mergeBetweenSteps());

        Files.writeString(dir.resolve("p.json"), base + ", \"lora\": {\"train_projector\": true, \"projector_lr\": 1e-5}}");
        c = RunPlan.read(dir.resolve("p.json")).common();
        assertTrue(c.trainProjector());
        assertEquals(1e-5, c.projectorLr());
        Files.writeString(dir.resolve("q.json"), base + ", \"lora\": {\"projector_lr\": 0}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("q.json"))).getMessage()
                .contains("\"lora.projector_lr\" must be a positive number, got 0.0"));

        Files.writeString(dir.resolve("f.json"), base + ", \"adapt_inf\": {\"merge_between_steps\": 1}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("f.json"))).getMessage()
                .contains("\"adapt_inf.merge_between_steps\" must be true or false"));
        Files.writeString(dir.resolve("g.json"), base + ", \"sequential\": {\"merge\": true}}");
        assertTrue(assertThrows(IOException.class, () -> RunPlan.read(dir.resolve("g.json"))).getMessage()
                .contains("unknown key \"sequential.merge\""));
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
