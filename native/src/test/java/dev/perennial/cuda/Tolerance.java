/*
 * The comparison every kernel test states its tolerance with: |a - r| <= atol + rtol |r| element by element, where
 * a NaN or infinite reference must be matched exactly (the kernels define those cases, they are not rounding).
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

record Tolerance(double atol, double rtol) {

    void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(e) || Float.isInfinite(e)) {
                assertEquals(e, a, what + "[" + i + "]");
            } else {
                assertTrue(Math.abs(a - e) <= atol + rtol * Math.abs(e),
                        what + "[" + i + "]: expected " + e + ", got " + a + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertClose(expected.toFloatArray(), actual.toFloatArray(), what);
    }
}
