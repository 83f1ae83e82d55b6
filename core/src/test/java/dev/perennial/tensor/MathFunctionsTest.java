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
