/*
 * The comparison the element-wise, norm, RoPE and embedding kernel tests share: element by element,
 * |a - r| <= atol + rtol * |r| against a float32 reference, where NaN must meet NaN and an infinity must meet the
 * same infinity (the kernels keep IEEE semantics), and the shapes must be equal. atol = rtol = 0 asks for the
 * same value (the exact ops); each test states why its tolerance is what it is.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

final class Close {
    private Close() {}

    static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            boolean ok = Float.isNaN(e[i]) ? Float.isNaN(a[i])
                    : Float.isInfinite(e[i]) ? a[i] == e[i]
                    : Math.abs((double) a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
            if (!ok) {
                fail(what + ": element " + i + " of " + Arrays.toString(expected.shape()) + ": expected " + e[i]
                        + ", got " + a[i] + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }
}
