/*
 * `perennial inspect` run in process through the same CommandLine as main(): the golden tiny checkpoint's
 * totals, and the one-line error contract for malformed and missing paths.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectCommandTest {
    private static final Path GOLDEN = CliRun.GOLDEN;

    @TempDir
    Path dir;

    @Test
    void listsTheTinyCheckpointWithItsTotals() {
        for (Path p : List.of(GOLDEN.resolve("tiny-llava-hf"), GOLDEN.resolve("tiny-llava-hf/model.safetensors"))) {
            CliRun r = CliRun.run("inspect", p.toString());
            assertEquals(0, r.exitCode(), r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals("64 tensors, 127,018 parameters", lines.get(lines.size() - 1));
            assertEquals(1 + 1 + 64 + 1, lines.size(), r.out());   // metadata, column titles, 64 rows, totals
            assertTrue(lines.stream().anyMatch(l -> l.matches("language_model\\.lm_head\\.weight +F32 +\\[320, 64] +20,480")),
                    r.out());
        }
    }

    @Test
    void aMalformedFileIsOneLineOnStderrAndAFailureExitCode() throws IOException {
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[]{8, 0, 0, 0, 0, 0, 0, 0, '{', '"'});
        CliRun r = CliRun.run("inspect", bad.toString());
        assertEquals(1, r.exitCode());
        assertEquals("", r.out());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("perennial inspect: " + bad + ": truncated: "), r.err());
    }

    @Test
    void aMissingPathIsOneLineOnStderr() {
        Path missing = dir.resolve("missing.safetensors");
        CliRun r = CliRun.run("inspect", missing.toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("perennial inspect: " + missing + ": no such file or folder"), r.errLines());
    }

    @Test
    void verbosePrintsTheStackTraceToo() throws IOException {
        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[]{1});
        for (String[] args : List.of(new String[]{"--verbose", "inspect", bad.toString()},
                new String[]{"inspect", "--verbose", bad.toString()})) {
            CliRun r = CliRun.run(args);
            assertEquals(1, r.exitCode());
            assertTrue(r.err().contains("\tat dev.perennial.io."), r.err());
        }
        assertFalse(CliRun.run("inspect", bad.toString()).err().contains("\tat "));
    }

    @Test
    void helpVersionAndUsageErrors() {
        CliRun help = CliRun.run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("inspect"), help.out());
        CliRun version = CliRun.run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("perennial "), version.out());
        assertEquals(2, CliRun.run().exitCode());
        assertEquals(2, CliRun.run("inspect").exitCode());
        assertEquals(2, CliRun.run("no-such-command").exitCode());
    }
}
