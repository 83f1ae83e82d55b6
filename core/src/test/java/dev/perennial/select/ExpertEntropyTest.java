/*
 * ExpertEntropy (docs/methods/adapt-inf.md §6.2): the golden table (deterministic rows exactly, random rows within ±0.1),
 * invariant 13 (affine invariance of STANDARDIZED, a constant score gets 0 and loses), the CODE_COMPAT quirks
 * (σ-scaled edges, eps terms, NaN results and np.argmax letting NaN win), and the boundary choice z = −4.
 */
package dev.perennial.select;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static dev.perennial.select.ExpertEntropy.Mode.CODE_COMPAT;
import static dev.perennial.select.ExpertEntropy.Mode.STANDARDIZED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpertEntropyTest {

    private static final double LOG2_10 = Math.log(10) / Math.log(2);

    /** §6.2 golden rows [0..9], [0,0,0,0,1], constant (exact, 1e-4; the full numpy values to 1e-12). */
    @Test
    void deterministicGoldenRows() {
        float[] tenValues = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        assertEquals(2.7219, ExpertEntropy.entropyBits(tenValues, CODE_COMPAT), 1e-4);
        assertEquals(2.7219280948878586, ExpertEntropy.entropyBits(tenValues, CODE_COMPAT), 1e-12);
        assertEquals(3.3219, ExpertEntropy.entropyBits(tenValues, STANDARDIZED), 1e-4);
        assertEquals(LOG2_10, ExpertEntropy.entropyBits(tenValues, STANDARDIZED), 1e-12);

        float[] oneOutlier = {0, 0, 0, 0, 1};
        double compat = ExpertEntropy.entropyBits(oneOutlier, CODE_COMPAT);   // one occupied bin + 49 eps terms
        assertEquals(5.657696533489798e-13, compat, 1e-18);
        assertEquals(0.7219, ExpertEntropy.entropyBits(oneOutlier, STANDARDIZED), 1e-4);
        assertEquals(-(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2)) / Math.log(2), ExpertEntropy.entropyBits(oneOutlier, STANDARDIZED), 1e-12);

        float[] constant = {3, 3, 3, 3, 3, 3, 3};
        assertTrue(Double.isNaN(ExpertEntropy.entropyBits(constant, CODE_COMPAT)));
        assertEquals(0.0, ExpertEntropy.entropyBits(constant, STANDARDIZED), 0);
    }

    /** §6.2 random rows (numpy default_rng(0) there, SplittableRandom here): ±0.1. */
    @Test
    void randomGoldenRowsWithinTolerance() {
        SplittableRandom rng = new SplittableRandom(0);
        checkRow(rng::nextDouble, 5.6088, 4.4357);
        checkRow(() -> 10 * rng.nextGaussian(), 1.5010, 4.6598);
        checkRow(rng::nextGaussian, 4.6362, 4.6590);
        checkRow(() -> 0.01 * rng.nextGaussian(), 5.4987, 4.6577);
    }

    private static void checkRow(DoubleSupplier draw, double codeCompat, double standardized) {
        float[] x = new float[10000];
        for (int i = 0; i < x.length; i++) x[i] = (float) draw.getAsDouble();
        assertEquals(codeCompat, ExpertEntropy.entropyBits(x, CODE_COMPAT), 0.1);
        assertEquals(standardized, ExpertEntropy.entropyBits(x, STANDARDIZED), 0.1);
    }

    /** Invariant 13: STANDARDIZED is invariant to a·s + b, exactly for a > 0, and here also for a < 0. */
    @Test
    void standardizedIsAffineInvariant() {
        SplittableRandom rng = new SplittableRandom(13);
        double[] x = new double[5000];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextGaussian() + (i % 7 == 0 ? 3 * rng.nextDouble() : 0);
        double h = ExpertEntropy.entropyBits(x, STANDARDIZED);
        for (double[] ab : new double[][]{{2.5, -7}, {1e-3, 40}, {1e4, 0.5}}) {
            assertEquals(h, ExpertEntropy.entropyBits(affine(x, ab[0], ab[1]), STANDARDIZED), 0, () -> "a=" + ab[0]);
        }
        assertEquals(h, ExpertEntropy.entropyBits(affine(x, -3, 1), STANDARDIZED), 1e-12);
        // CODE_COMPAT is not: its edges are ±4σ applied to z
        assertNotEquals(ExpertEntropy.entropyBits(x, CODE_COMPAT), ExpertEntropy.entropyBits(affine(x, 100, 0), CODE_COMPAT), 0.5);
    }

    private static double[] affine(double[] x, double a, double b) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = a * x[i] + b;
        return y;
    }

    /** Invariant 13: a constant score has H = 0 and is never chosen over a non-constant one, whatever its index. */
    @Test
    void constantScoreIsNeverChosen() {
        float[] constant = new float[100];
        java.util.Arrays.fill(constant, 0.25f);
        float[] spread = new float[100];
        for (int i = 0; i < spread.length; i++) spread[i] = (i * 37) % 100;
        double hc = ExpertEntropy.entropyBits(constant, STANDARDIZED), hs = ExpertEntropy.entropyBits(spread, STANDARDIZED);
        assertEquals(0.0, hc, 0);
        assertTrue(hs > 0);
        assertEquals(1, ExpertEntropy.chooseExpert(new double[]{hc, hs}, STANDARDIZED));
        assertEquals(0, ExpertEntropy.chooseExpert(new double[]{hs, hc}, STANDARDIZED));
        // the official criterion gives the constant NaN, and np.argmax then picks it
        double cc = ExpertEntropy.entropyBits(constant, CODE_COMPAT), cs = ExpertEntropy.entropyBits(spread, CODE_COMPAT);
        assertEquals(0, ExpertEntropy.chooseExpert(new double[]{cc, cs}, CODE_COMPAT));
        assertEquals(1, ExpertEntropy.chooseExpert(new double[]{cs, cc}, CODE_COMPAT));
    }

    @Test
    void choiceTakesTheFirstMaximumAndHandlesNaNPerMode() {
        assertEquals(1, ExpertEntropy.chooseExpert(new double[]{1, 3, 3, 2}, STANDARDIZED));
        assertEquals(1, ExpertEntropy.chooseExpert(new double[]{1, 3, 3, 2}, CODE_COMPAT));
        assertEquals(2, ExpertEntropy.chooseExpert(new double[]{Double.NaN, 1, 4, Double.NaN}, STANDARDIZED));
        assertEquals(0, ExpertEntropy.chooseExpert(new double[]{Double.NaN, 1, 4, Double.NaN}, CODE_COMPAT));
        assertEquals(3, ExpertEntropy.chooseExpert(new double[]{1, 5, 4, Double.NaN}, CODE_COMPAT));
        assertThrows(IllegalArgumentException.class, () -> ExpertEntropy.chooseExpert(new double[]{Double.NaN}, STANDARDIZED));
        assertThrows(IllegalArgumentException.class, () -> ExpertEntropy.chooseExpert(new double[0], CODE_COMPAT));
    }

    /** STANDARDIZED leaves missing scores out; CODE_COMPAT replaces them with 0 (nan_to_num). */
    @Test
    void missingScoresPerMode() {
        float[] withNaN = {0, 1, Float.NaN, 2, 3, Float.POSITIVE_INFINITY, 4, 5, 6, 7, 8, 9};
        float[] clean = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        assertEquals(ExpertEntropy.entropyBits(clean, STANDARDIZED), ExpertEntropy.entropyBits(withNaN, STANDARDIZED), 0);
        float[] nanOnly = {0, 1, Float.NaN, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] zeroed = {0, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9};
        assertEquals(ExpertEntropy.entropyBits(zeroed, CODE_COMPAT), ExpertEntropy.entropyBits(nanOnly, CODE_COMPAT), 0);
        assertEquals(0.0, ExpertEntropy.entropyBits(new float[]{Float.NaN, Float.NaN}, STANDARDIZED), 0);
        assertEquals(0.0, ExpertEntropy.entropyBits(new float[0], STANDARDIZED), 0);
        assertTrue(Double.isNaN(ExpertEntropy.entropyBits(new float[0], CODE_COMPAT)));
    }

    /**
     * [−16, 1 ×16]: mean 0, σ 4, z = −4 exactly for the low value. STANDARDIZED closes the first bin at −4 (only
     * |z| > 4 is dropped), so both values count.
     */
    @Test
    void zAtMinusFourIsKept() {
        float[] x = new float[17];
        x[0] = -16;
        for (int i = 1; i < 17; i++) x[i] = 1;
        double p = 1.0 / 17, q = 16.0 / 17;
        double expected = -(p * Math.log(p) + q * Math.log(q)) / Math.log(2);
        assertEquals(expected, ExpertEntropy.entropyBits(x, STANDARDIZED), 1e-12);
    }
}
