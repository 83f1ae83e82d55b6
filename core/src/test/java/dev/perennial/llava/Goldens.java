/* Paths of the golden files from the reference implementation (kept in core/src/test/resources/golden; docs/methods/llava-numerics.md, "Golden tensors"). */
package dev.perennial.llava;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

final class Goldens {
    private Goldens() {}

    static Path root() {
        try {
            return Path.of(Goldens.class.getResource("/golden").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tinyHf() { return root().resolve("tiny-llava-hf"); }
    static Path tinyOriginal() { return root().resolve("tiny-llava-orig"); }

    static Tensor npy(String name) throws IOException {
        return Npy.read(root().resolve("golden-tiny-llava-hf").resolve(name + ".npy"));
    }

    /** Max |a - b| over all elements (shapes must agree). */
    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shape " + java.util.Arrays.toString(a.shape()) + " vs " + java.util.Arrays.toString(b.shape()));
        }
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
