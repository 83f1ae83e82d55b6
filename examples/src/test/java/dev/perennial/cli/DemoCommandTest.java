/*
 * `perennial demo` from the jar's own resources: the shipped base model and the CLIP vocabulary are found without
 * any download or pre-built folder; a small configuration (three quick tasks, 8 training and 4 test items each, two
 * strategies including ModalPrompt) runs to the end and writes the report. The demo's results are measured by
 * running it (docs/performance.md), not here.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void runsFromTheShippedBaseModel() throws IOException {
        CliRun r = run("demo", "--quick", "--out", dir.toString(), "--strategies", "sequential,modalprompt", "--train-per-task", "8",
                "--test-per-task", "4", "--budget", "4", "--epochs", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("base/model.safetensors")), "the shipped base model is unpacked");
        assertTrue(r.out().contains("| sequential |") && r.out().contains("| modalprompt |"), r.out());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
        assertEquals("[\"Colour\",\"Shape\",\"Count\"]", metrics.get("tasks").toString());
        assertEquals(12, metrics.get("strategies").get("modalprompt").get("train_samples").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("run/report.md")));
    }

    /** The prompt baselines are strategies of the demo (and so of `run`, whose plans the demo builds). */
    @Test
    void runsThePromptBaselines() throws IOException {
        CliRun r = run("demo", "--quick", "--out", dir.toString(), "--strategies", "l2p,dualprompt,s-prompts", "--train-per-task", "8",
                "--test-per-task", "4", "--budget", "4", "--epochs", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("| l2p |") && r.out().contains("| dualprompt |") && r.out().contains("| s-prompts |"), r.out());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
        for (String s : new String[]{"l2p", "dualprompt", "s-prompts"}) {
            assertEquals(12, metrics.get("strategies").get(s).get("train_samples").asInt(), s);
            JsonNode pool = new ObjectMapper().readTree(dir.resolve("run/strategies/" + s + "/work/prompts/pool.json").toFile());
            assertEquals(s, pool.get("config").get("method").asText());
        }
    }

    /** Options are checked before any work (--prompts 0 used to fail after 90 s of training). */
    @Test
    void badOptionsFailAtOnceAndWriteNothing() throws IOException {
        for (String[] bad : new String[][]{{"--prompts", "0"}, {"--prompt-length", "0"}, {"--budget", "0"}, {"--epochs", "0"},
                {"--lr", "-1"}, {"--strategies", "sequential,ewc"}}) {
            long t0 = System.nanoTime();
            CliRun r = run("demo", "--out", dir.resolve("bad").toString(), bad[0], bad[1]);
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("perennial demo: " + bad[0]) || r.err().contains(bad[0]), r.err());
            assertTrue((System.nanoTime() - t0) / 1e9 < 10, "fails before any work");
            assertFalse(Files.exists(dir.resolve("bad")), "nothing is written");
        }
    }
}
