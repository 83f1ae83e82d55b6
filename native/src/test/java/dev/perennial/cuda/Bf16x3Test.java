/*
 * The bf16x3 kernels (cuda/src/main/cuda/bf16x3.cu) on the emulated device, under both fiber orders.
 *
 * Split: for 2^20 uniformly random bit patterns (every exponent, subnormals, Inf and NaN included) and hand-picked
 * values at the edges (±0, the smallest and largest subnormals and normals, the 2^-110 exactness threshold, the
 * largest float, Inf, NaNs with payloads only in the low 16 bits), the three BF16 parts must sum to x exactly in
 * double for |x| >= 2^-110 and within 2^-133 below; hi must be x truncated toward zero (same sign, |hi| <= |x|, never
 * Inf for a finite x); Inf and NaN must be carried by hi alone with mid = lo = +0 and NaN kept NaN. These are exact
 * properties, so there is no tolerance. Sum: bit-for-bit (products[2] + products[1]) + products[0] in float.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16x3Test {
    private static final double EXACT_FROM = 0x1p-110, FLOOR_ERROR = 0x1p-133;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    private static final int[] EDGES = {
            0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000,
            Float.floatToRawIntBits(0x1p-110f), Float.floatToRawIntBits(Math.nextDown(0x1p-110f)),
            Float.floatToRawIntBits(-0x1.fffffep-110f), 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7f800001,
            0xff80ffff, 0x7fc00000, 0x3f800001, 0x3f80ffff, 0x3f7fffff, 0xbf800001, 0x4b7fffff, 0x33800001};

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void splitSumsExactlyToTheInput(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int n = (1 << 20) + EDGES.length;
        Random rnd = new Random(7);
        float[] x = new float[n];
        for (int i = 0; i < EDGES.length; i++) x[i] = Float.intBitsToFloat(EDGES[i]);
        for (int i = EDGES.length; i < n; i++) x[i] = Float.intBitsToFloat(rnd.nextInt());
        Tensor parts = EmulatedDevice.kernels().bf16x3Split(Tensor.of(x, n));
        assertEquals(DType.BF16, parts.dtype());
        assertEquals(3, parts.size(0));
        short[] p = new short[3 * n];
        parts.storage().shorts().get(parts.offset(), p, 0, 3 * n);
        for (int i = 0; i < n; i++) {
            float v = x[i], hi = Half.bf16ToFloat(p[i]), mid = Half.bf16ToFloat(p[n + i]), lo = Half.bf16ToFloat(p[2 * n + i]);
            String what = "x = " + v + " (0x" + Integer.toHexString(Float.floatToRawIntBits(v)) + ")";
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                assertEquals(Float.floatToRawIntBits(Half.bf16ToFloat(Half.floatToBf16(v))), Float.floatToRawIntBits(hi), what);
                assertTrue(Float.isNaN(v) == Float.isNaN(hi), what);
                assertEquals(0, p[n + i], what + ": mid");
                assertEquals(0, p[2 * n + i], what + ": lo");
                continue;
            }
            assertTrue(!Float.isInfinite(hi) && Math.abs(hi) <= Math.abs(v) && (hi == 0 || Math.signum(hi) == Math.signum(v)),
                    what + ": hi " + hi + " is not x truncated");
            assertEquals(Float.floatToRawIntBits(v) >>> 16, p[i] & 0xffff, what + ": hi bits");
            double sum = (double) hi + mid + lo, err = Math.abs(sum - v);
            if (Math.abs(v) >= EXACT_FROM) assertEquals(0.0, err, what + ": hi + mid + lo = " + sum);
            else assertTrue(err < FLOOR_ERROR, what + ": error " + err);
        }
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void sumAddsTheSmallTermsFirst(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int n = 3001;
        Random rnd = new Random(9);
        float[] v = new float[3 * n];
        for (int i = 0; i < n; i++) {                      // magnitudes like the products of hi, mid and lo
            v[i] = (float) rnd.nextGaussian();
            v[n + i] = (float) (rnd.nextGaussian() * 0x1p-8);
            v[2 * n + i] = (float) (rnd.nextGaussian() * 0x1p-16);
        }
        Tensor out = EmulatedDevice.kernels().bf16x3Sum(Tensor.of(v, 3, 1, n));
        assertEquals(java.util.List.of(1, n), java.util.List.of(out.size(0), out.size(1)));
        float[] o = out.toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits((v[2 * n + i] + v[n + i]) + v[i]), Float.floatToRawIntBits(o[i]), "element " + i);
        }
    }

    @Test
    void launchersRejectBadArguments() {
        org.bytedeco.javacpp.FloatPointer f = new org.bytedeco.javacpp.FloatPointer(3);
        assertEquals(1, EmuKernels.pn_bf16x3_split(f, -1, f, null));
        assertEquals(1, EmuKernels.pn_bf16x3_split(null, 1, f, null));
        assertEquals(1, EmuKernels.pn_bf16x3_sum(f, 1, null, null));
        assertEquals(0, EmuKernels.pn_bf16x3_sum(null, 0, null, null));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().bf16x3Sum(Tensor.zeros(2, 4)));
        f.close();
    }
}
