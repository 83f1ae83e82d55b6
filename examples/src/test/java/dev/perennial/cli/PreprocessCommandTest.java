/*
 * `perennial preprocess` in process: the written .npy equals the real transformers pixel values for the golden
 * 64x45 image (HF path and LLaVA pad path, 1e-6 as in docs/methods/llava-numerics.md; the input is golden/pillow's PNG
 * copy of that image), --size against the Pillow-made 64-pixel golden of the 400x520 image, --config with the
 * tiny model's preprocessor_config.json (30x30), and the one-line error contract for a missing image, a
 * damaged image and a refused config, plus usage errors for missing required options.
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessCommandTest {
    private static final Path UP_PNG = GOLDEN.resolve("pillow/resize_in_up.png");
    private static final Path DOWN_PNG = GOLDEN.resolve("pillow/resize_in_down.png");

    @TempDir
    Path dir;

    private static void assertWithin(Path expectedNpy, Path actualNpy, double tolerance) throws IOException {
        try (Tensor expected = Npy.read(expectedNpy); Tensor actual = Npy.read(actualNpy)) {
            assertArrayEquals(expected.shape(), actual.shape());
            float[] e = expected.toFloatArray(), a = actual.toFloatArray();
            double max = 0;
            for (int i = 0; i < e.length; i++) max = Math.max(max, Math.abs((double) e[i] - a[i]));
            assertEquals(0, max, tolerance, expectedNpy.getFileName().toString());
        }
    }

    @Test
    void writesTheTransformersPixelValues() throws IOException {
        Path out = dir.resolve("hf.npy");
        CliRun r = run("preprocess", "--image", UP_PNG.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(out + ": float32 [1, 3, 336, 336] from " + UP_PNG + " (64x45)", r.out().strip());
        assertWithin(GOLDEN.resolve("preprocessing/pixel_values_hf_processor_up.npy"), out, 1e-6);

        Path padded = dir.resolve("pad.npy");
        r = run("preprocess", "--image", UP_PNG.toString(), "--pad-to-square", "--out", padded.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().strip().endsWith(", padded to a square"), r.out());
        assertWithin(GOLDEN.resolve("preprocessing/pixel_values_llava_pad_up.npy"), padded, 1e-6);
    }

    @Test
    void sizeAndConfigOptions() throws IOException {
        Path out = dir.resolve("s64.npy");
        assertEquals(0, run("preprocess", "--image", DOWN_PNG.toString(), "--size", "64", "--out", out.toString()).exitCode());
        assertWithin(GOLDEN.resolve("pillow/preprocess_hf_down_s64.npy"), out, 1e-6);

        Path tiny = dir.resolve("tiny.npy");
        CliRun r = run("preprocess", "--image", DOWN_PNG.toString(), "--config",
                GOLDEN.resolve("tiny-llava-orig/vision_tower/preprocessor_config.json").toString(), "--out", tiny.toString());
        assertEquals(0, r.exitCode(), r.err());
        try (Tensor t = Npy.read(tiny)) {
            assertArrayEquals(new int[]{1, 3, 30, 30}, t.shape());
        }
    }

    @Test
    void failuresAreOneLineOnStderr() throws IOException {
        Path missing = dir.resolve("missing.jpg");
        CliRun r = run("preprocess", "--image", missing.toString(), "--out", dir.resolve("x.npy").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("perennial preprocess: " + missing + ": no such file"), r.errLines());

        Path cut = Files.write(dir.resolve("cut.png"), Arrays.copyOf(Files.readAllBytes(UP_PNG), 300));
        r = run("preprocess", "--image", cut.toString(), "--out", dir.resolve("x.npy").toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("perennial preprocess: " + cut + ": truncated or corrupt image data"), r.err());

        Path config = Files.writeString(dir.resolve("preprocessor_config.json"), "{\"resample\": 2}");
        r = run("preprocess", "--image", UP_PNG.toString(), "--config", config.toString(), "--out", dir.resolve("x.npy").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("perennial preprocess: " + config + ": resample 2 is not supported; only 3 (PIL BICUBIC) is"),
                r.errLines());
        assertTrue(Files.notExists(dir.resolve("x.npy")), "nothing is written on failure");
    }

    @Test
    void usageErrors() {
        assertEquals(2, run("preprocess", "--out", dir.resolve("x.npy").toString()).exitCode());
        assertEquals(2, run("preprocess", "--image", UP_PNG.toString()).exitCode());
        assertTrue(run("--help").out().contains("preprocess"));
    }
}
