/*
 * The tiny CLIP checkpoint and its reference tensors (test resources golden/clip/, copied from
 * core/src/test/resources/golden/clip; see its README): paths, .npy loading, and the max |difference| the tolerances apply to.
 */
package dev.perennial.clip;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;

final class ClipGoldens {
    /** Hidden states, pooled outputs, embeddings and logits (README "Tolerances"). */
    static final double TOLERANCE = 1e-4;

    private ClipGoldens() {}

    static Path root() {
        try {
            return Path.of(ClipGoldens.class.getResource("/golden/clip").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CLIPModel checkpoint folder (config.json + model.safetensors). */
    static Path checkpoint() { return root().resolve("tiny-clip-P"); }

    static Tensor npy(String name) throws IOException {
        return Npy.read(root().resolve("golden/tiny-clip-P").resolve(name + ".npy"));
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shape " + Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
        }
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
