/*
 * --model as a Hugging Face model id (issue 20, item 8): a fake hub cache in a temporary folder holds the golden tiny
 * checkpoint as huggingface_hub lays it out (refs/main → snapshots/HASH/, files as symbolic links into blobs/), and
 * `forward --model test-org/tiny-llava` run with HF_HUB_CACHE pointing there gives the golden logits; an id that is
 * not cached is one line naming the folders searched. Child JVMs, since the environment is read from the process.
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.perennial.cli.CliRun.GOLDEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuggingFaceIdTest {
    private static final String HASH = "5e9c0ac0ffee5e9c0ac0ffee5e9c0ac0ffee5e9c";

    @TempDir
    Path dir;

    /** The golden tiny llava-hf checkpoint cached as test-org/tiny-llava. */
    private Path fakeCache() throws IOException {
        Path hub = dir.resolve("hub"), repo = hub.resolve("models--test-org--tiny-llava");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(HASH)), blobs = Files.createDirectories(repo.resolve("blobs"));
        try (var files = Files.list(GOLDEN.resolve("tiny-llava-hf"))) {
            for (Path f : files.toList()) {
                Path blob = Files.copy(f, blobs.resolve("blob-" + f.getFileName()));
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), snapshot.relativize(blob));
            }
        }
        Files.writeString(Files.createDirectories(repo.resolve("refs")).resolve("main"), HASH);
        return hub;
    }

    @Test
    void aCachedIdRunsLikeItsFolderAndAMissingOneIsOneLine() throws Exception {
        Path hub = fakeCache(), g = GOLDEN.resolve("golden-tiny-llava-hf").toAbsolutePath();
        Path out = dir.resolve("fwd");
        CliRun r = CliRun.child(List.of(), Map.of("HF_HUB_CACHE", hub.toString()), PerennialCommand.class,
                "forward", "--model", "test-org/tiny-llava", "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        float[] logits = Npy.read(out.resolve("logits.npy")).toFloatArray();
        Tensor golden = Npy.read(g.resolve("logits.npy"));
        float[] expected = golden.toFloatArray();
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], logits[i], 1e-4, "logit " + i);

        CliRun missing = CliRun.child(List.of(), Map.of("HF_HUB_CACHE", hub.toString()), PerennialCommand.class,
                "forward", "--model", "test-org/absent@main", "--input-ids", g.resolve("input_ids.npy").toString(),
                "--out", dir.resolve("none").toString());
        assertEquals(1, missing.exitCode(), missing.err());
        List<String> lines = missing.err().lines().filter(l -> l.startsWith("perennial forward: ")).toList();
        assertEquals(1, lines.size(), missing.err());
        assertTrue(lines.get(0).startsWith("perennial forward: test-org/absent@main: neither a local folder nor a model in the Hugging Face cache (searched "
                + hub.toAbsolutePath().resolve("models--test-org--absent")), lines.get(0));
        assertTrue(lines.get(0).contains("never downloaded"), lines.get(0));
    }
}
