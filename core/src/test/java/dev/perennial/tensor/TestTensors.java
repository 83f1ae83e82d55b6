/*
 * Seeded random inputs for the tensor tests, in the layouts the backends must handle: contiguous, transposed,
 * narrowed (gaps between rows), expanded (stride 0) and F16/BF16 storage.
 */
package dev.perennial.tensor;

import java.util.Random;

final class TestTensors {
    private TestTensors() {}

    /** Uniform values in [lo, hi), contiguous F32. */
    static Tensor uniform(Random rng, float lo, float hi, int... shape) {
        float[] v = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return Tensor.of(v, shape);
    }

    static Tensor rand(Random rng, int... shape) { return uniform(rng, -1f, 1f, shape); }

    /** A non-contiguous tensor of the given shape: the transpose of a contiguous [.., shape[-1], shape[-2]]. */
    static Tensor transposed(Random rng, int... shape) {
        int[] s = shape.clone();
        int r = s.length;
        s[r - 1] = shape[r - 2];
        s[r - 2] = shape[r - 1];
        return rand(rng, s).transpose(-1, -2);
    }

    /** A non-contiguous tensor of the given shape: the first columns of a wider tensor. */
    static Tensor narrowed(Random rng, int... shape) {
        int[] s = shape.clone();
        s[s.length - 1] += 3;
        return rand(rng, s).narrow(-1, 1, shape[shape.length - 1]);
    }

    /** Values rounded to a few levels, so that ties are common. */
    static Tensor coarse(Random rng, int... shape) {
        float[] v = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(5) - 2;
        return Tensor.of(v, shape);
    }

    static Tensor ids(Random rng, DType dtype, int bound, int... shape) {
        Tensor t = Tensor.zeros(dtype, shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setLong(i, rng.nextInt(bound));
        return t;
    }
}
