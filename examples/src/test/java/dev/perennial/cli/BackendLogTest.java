/*
 * On a machine without a GPU every model command used to log the CUDA driver's
 * error (cudaErrorInsufficientDriver) at INFO; it says "CPU backend (no GPU found)" and keeps the probe's details at
 * DEBUG. Run as a child JVM, as a user runs the command line, so the log output is the real one.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.perennial.cli.CliRun.GOLDEN;
import static org.junit.jupiter.api.Assertions.*;

class BackendLogTest {
    @TempDir
    Path dir;

    @Test
    void aCpuMachineIsReportedCalmly() throws Exception {
        Assumptions.assumeFalse(dev.perennial.tensor.Backends.providers().stream().anyMatch(p -> p.priority() > 0 && p.probe().available()),
                "on a machine with a usable GPU the GPU backend is chosen instead");
        Path g = GOLDEN.resolve("golden-tiny-llava-hf").toAbsolutePath();
        CliRun r = CliRun.child(List.of(), Map.of(), PerennialCommand.class,
                "forward", "--model", GOLDEN.resolve("tiny-llava-hf").toAbsolutePath().toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString(), "--out", dir.resolve("fwd").toString());
        String text = r.out() + r.err();
        assertEquals(0, r.exitCode(), text);
        assertTrue(text.contains("CPU backend (no GPU found)"), text);
        assertFalse(text.contains("cudaError"), "the driver's error stays at DEBUG: " + text);
    }
}
