/*
 * `perennial synth` through the same CommandLine as main(): the tiny shape written in shards, read back by `inspect`
 * (the golden checkpoint's parameter count) and by `bench` with no warm-up run; the output folder is guarded (a
 * non-empty folder needs --overwrite); an unknown shape and a bad shard size are one-line errors.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SynthCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheTinyShapeThatInspectAndBenchRead() throws IOException {
        Path out = dir.resolve("tiny");
        CliRun r = run("synth", "--shape", "tiny", "--dtype", "f32", "--max-shard-size", "200000", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("tiny: 127,018 parameters, f32, 0.00 GB -> " + out), r.out());
        assertTrue(r.out().contains("wrote model-00001-of-00003.safetensors"), r.out());
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        CliRun inspect = run("inspect", out.toString());
        assertEquals(0, inspect.exitCode(), inspect.err());
        List<String> lines = inspect.out().lines().toList();
        assertEquals("64 tensors, 127,018 parameters", lines.get(lines.size() - 1), "the golden tiny checkpoint's count");
        CliRun bench = run("bench", "--model", out.toString(), "--prompt-tokens", "40", "--new-tokens", "4", "--repeat", "1", "--warmup", "0");
        assertEquals(0, bench.exitCode(), bench.err());
        assertEquals(1, bench.out().lines().filter(l -> l.startsWith("run ")).count(), "no warm-up: one run, measured: " + bench.out());

        CliRun again = run("synth", "--shape", "tiny", "--out", out.toString());
        assertEquals(1, again.exitCode());
        assertEquals(List.of("perennial synth: " + out + " is not empty: choose a new folder or pass --overwrite"), again.errLines());
        assertEquals(0, run("synth", "--shape", "tiny", "--out", out.toString(), "--overwrite").exitCode());
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        CliRun r = run("synth", "--shape", "llava-7b", "--out", dir.resolve("x").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("perennial synth: unknown shape 'llava-7b' (known: tiny, bench-221m, llava-1.5-7b, llava-1.5-13b)"), r.errLines());
        r = run("synth", "--shape", "tiny", "--max-shard-size", "0", "--out", dir.resolve("y").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("perennial synth: --max-shard-size must be positive, got 0"), r.errLines());
        assertTrue(!Files.exists(dir.resolve("y")), "nothing is created before the arguments are checked");
    }
}
