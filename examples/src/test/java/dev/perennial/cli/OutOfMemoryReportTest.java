/*
 * Running out of tensor memory is one line on stderr, not a stack trace, naming what was
 * being allocated, how much, the cap and how to raise it. A child JVM is given an 8 KB cap (PERENNIAL_MAX_MEMORY,
 * which must be set before the first tensor exists) and runs `perennial forward` on the tiny checkpoint.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.perennial.cli.CliRun.GOLDEN;
import static org.junit.jupiter.api.Assertions.*;

class OutOfMemoryReportTest {
    @TempDir
    Path dir;

    @Test
    void aTooSmallCapGivesOneLineNamingTheAllocationTheCapAndTheOption() throws Exception {
        Path g = GOLDEN.resolve("golden-tiny-llava-hf").toAbsolutePath();
        // the tiny model's forward needs more than 8 KB at once
        CliRun r = CliRun.child(List.of(), Map.of("PERENNIAL_MAX_MEMORY", "8k"), PerennialCommand.class,
                "forward", "--model", GOLDEN.resolve("tiny-llava-hf").toAbsolutePath().toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString(), "--out", dir.resolve("fwd").toString());
        List<String> err = r.err().lines()   // without log lines and the JVM's own native-access warnings on JDK 24+
                .filter(l -> !l.contains(" INFO ") && !l.contains(" DEBUG ") && !l.startsWith("WARNING: ") && !l.isBlank()).toList();
        assertEquals(1, r.exitCode(), String.join("\n", err));
        assertEquals(1, err.size(), "one line: " + String.join("\n", err));
        String line = err.get(0);
        assertTrue(line.startsWith("perennial forward: out of memory allocating "), line);
        assertTrue(line.matches(".*for a F32 tensor \\[[0-9, ]+\\].*"), "names the tensor: " + line);
        assertTrue(line.contains("the cap is 8.0 KB (set by PERENNIAL_MAX_MEMORY)"), line);
        assertTrue(line.contains("PERENNIAL_MAX_MEMORY="), "says how to raise it: " + line);
        assertFalse(line.contains("\tat "), line);
    }
}
