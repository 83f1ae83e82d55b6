/*
 * Reliability issue, item 7 (part): on a machine without a GPU every model command used to log the CUDA driver's
 * error (cudaErrorInsufficientDriver) at INFO; it says "CPU backend (no GPU found)" and keeps the probe's details at
 * DEBUG. Run as a child JVM, as a user runs the command line, so the log output is the real one.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), PerennialCommand.class.getName(),
                "forward", "--model", GOLDEN.resolve("tiny-llava-hf").toAbsolutePath().toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString(), "--out", dir.resolve("fwd").toString()).redirectErrorStream(true);
        Process p = pb.start();
        try {
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("CPU backend (no GPU found)"), text);
            assertFalse(text.contains("cudaError"), "the driver's error stays at DEBUG: " + text);
        } finally {
            p.destroyForcibly();
        }
    }
}
