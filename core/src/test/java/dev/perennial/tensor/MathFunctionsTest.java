/* erf and the activation formulas against reference values (CPython's math.erf, i.e. the C library's erf). */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MathFunctionsTest {
    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
                {0.0, 0.0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149},
                {1.5, 0.9661051464753108}, {2.0, 0.9953222650189527}, {2.4999, 0.9995928300996666},
                {2.5, 0.999593047982555}, {2.5001, 0.9995932657565293}, {3.0, 0.9999779095030014}, {4.0, 0.9999999845827421},
                {5.9, 0.9999999999999999}, {7.0, 1.0}};
        for (double[] row : table) {
            double tol = 1e-15;   // both sides of the series / continued-fraction switch at 2.5 are covered
            assertEquals(row[1], MathFunctions.erf(row[0]), tol, "erf(" + row[0] + ")");
            assertEquals(-row[1], MathFunctions.erf(-row[0]), tol, "erf(-" + row[0] + ")");
        }
        assertTrue(Double.isNaN(MathFunctions.erf(Double.NaN)));
        assertEquals(1.0, MathFunctions.erf(Double.POSITIVE_INFINITY));
    }

    /** Distance in float ulps between f and the correctly rounded float of exact. */
    private static double ulps(float f, double exact) {
        float rounded = (float) exact;
        return Math.abs(f - exact) / Math.ulp(rounded);
    }

    @Test
    void expfIsWithinTwoUlpsEverywhere() {
        java.util.Random rng = new java.util.Random(11);
        double worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            float x = -87.3f + 176f * rng.nextFloat();
            worst = Math.max(worst, ulps(MathFunctions.expf(x), Math.exp(x)));
        }
        for (float x = -87.33f; x <= 88.72f; x += 0.001f) worst = Math.max(worst, ulps(MathFunctions.expf(x), Math.exp(x)));
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        assertEquals(1f, MathFunctions.expf(0f));
        assertEquals(Float.POSITIVE_INFINITY, MathFunctions.expf(89f));
        assertEquals(Float.POSITIVE_INFINITY, MathFunctions.expf(Float.POSITIVE_INFINITY));
        assertEquals(0f, MathFunctions.expf(Float.NEGATIVE_INFINITY));
        assertEquals((float) Math.exp(-100), MathFunctions.expf(-100f));
        for (float x = -110f; x < -87.33654f; x = Math.nextUp(x)) {              // subnormal results and the cut to 0
            assertEquals((float) Math.exp(x), MathFunctions.expf(x), "expf(" + x + ")");
        }
        assertTrue(Float.isNaN(MathFunctions.expf(Float.NaN)));
        assertEquals(0.5f, MathFunctions.sigmoidf(0f));
        assertEquals(1f, MathFunctions.sigmoidf(200f));
        assertEquals(0f, MathFunctions.sigmoidf(-200f));
        double worstSigmoid = 0;                                                   // relative to the double sigmoid
        for (float x = -80f; x <= 80f; x += 0.0137f) {
            double ref = MathFunctions.sigmoid(x);
            worstSigmoid = Math.max(worstSigmoid, Math.abs(MathFunctions.sigmoidf(x) - ref) / Math.ulp((float) ref));
        }
        assertTrue(worstSigmoid <= 3.0, "sigmoidf worst error " + worstSigmoid + " ulp");
    }

    // The fast erf (node table + Taylor step, what the CPU backend's GELU uses) against the series on a dense grid,
    // at the nodes, half-way between them (the largest step) and across the cut at 6.
    @Test
    void erfFastAgreesWithTheSeries() {
        double worst = 0;
        for (double x = -7; x <= 7; x += 1.0 / 1024 + 1e-7) worst = Math.max(worst, Math.abs(MathFunctions.erfFast(x) - MathFunctions.erf(x)));
        for (int i = 0; i <= 6 * 64; i++) {
            for (double x : new double[]{i / 64.0, (i + 0.5) / 64.0, Math.nextDown((i + 0.5) / 64.0)}) {
                worst = Math.max(worst, Math.abs(MathFunctions.erfFast(x) - MathFunctions.erf(x)));
                worst = Math.max(worst, Math.abs(MathFunctions.erfFast(-x) - MathFunctions.erf(-x)));
            }
        }
        assertTrue(worst <= 4e-15, "worst |erfFast - erf| " + worst);   // measured 1.9e-15; the series itself is ~1e-15 accurate
        assertTrue(Double.isNaN(MathFunctions.erfFast(Double.NaN)));
        assertEquals(1.0, MathFunctions.erfFast(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, MathFunctions.erfFast(Double.NEGATIVE_INFINITY));
        assertEquals(MathFunctions.gelu(-2.5), MathFunctions.geluFast(-2.5), 1e-15);
    }

    @Test
    void activations() {
        assertEquals(0.8413447460685429, MathFunctions.gelu(1.0), 1e-15);
        assertEquals(-0.15865525393145707, MathFunctions.gelu(-1.0), 1e-15);
        assertEquals(0.8411919906082768, MathFunctions.geluTanh(1.0), 1e-15);
        assertEquals(0.7310585786300049, MathFunctions.silu(1.0), 1e-15);
        assertEquals(1.0 / (1 + Math.exp(-1.702)), MathFunctions.quickGelu(1.0), 1e-15);
        assertEquals(0.0, MathFunctions.silu(-1000.0), 0.0);    // no overflow to NaN
        assertEquals(1000.0, MathFunctions.silu(1000.0), 0.0);
    }
}
