/*
 * Test access to the image reference data in the test resources:
 *   golden/preprocessing  real transformers CLIPImageProcessor output (copied from the shared golden set)
 *   golden/pillow         Pillow's resize and convert("RGB") output, made by golden/pillow/generate.py
 * and the comparison used against them (max |a - b| over all elements).
 */
package dev.perennial.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

final class ImageGoldens {
    static final Path GOLDEN = resource("/golden");
    static final Path HF = GOLDEN.resolve("preprocessing");
    static final Path PILLOW = GOLDEN.resolve("pillow");

    private ImageGoldens() {}

    private static Path resource(String name) {
        try {
            return Path.of(ImageGoldens.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One section ("resize", "decode", "preprocess") of golden/pillow/golden.json. */
    static List<JsonNode> pillowCases(String section) {
        try {
            List<JsonNode> cases = new ArrayList<>();
            new ObjectMapper().readTree(PILLOW.resolve("golden.json").toFile()).get(section).forEach(cases::add);
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden uint8 [H, W, 3] .npy as an image. */
    static RgbImage npyImage(Path file) throws IOException {
        try (Tensor t = Npy.read(file)) {
            return RgbImage.fromTensor(t);
        }
    }

    /** Largest |a - b| between two float tensors of the same shape. */
    static double maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape(), "shape");
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double max = 0;
        for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs((double) x[i] - y[i]));
        return max;
    }

    /** Largest per-sample difference between two images of the same size (0..255). */
    static int maxSampleDiff(RgbImage a, RgbImage b) {
        assertArrayEquals(new int[]{a.width(), a.height()}, new int[]{b.width(), b.height()}, "width, height");
        byte[] x = a.pixels(), y = b.pixels();
        int max = 0;
        for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs((x[i] & 0xff) - (y[i] & 0xff)));
        return max;
    }

    /** How many samples differ, for failure messages of bit-exact comparisons. */
    static String describeDifference(RgbImage expected, RgbImage actual) {
        byte[] x = expected.pixels(), y = actual.pixels();
        long differing = 0;
        int firstAt = -1;
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] != y[i]) {
                differing++;
                if (firstAt < 0) firstAt = i;
            }
        }
        if (firstAt < 0) return "equal samples, sizes " + expected + " vs " + actual;
        int pixel = firstAt / 3;
        return differing + " of " + x.length + " samples differ, max by " + maxSampleDiff(expected, actual)
                + "; first at (x=" + pixel % expected.width() + ", y=" + pixel / expected.width() + ", c=" + firstAt % 3
                + "): expected " + (x[firstAt] & 0xff) + ", got " + (y[firstAt] & 0xff);
    }
}
