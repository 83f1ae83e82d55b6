/*
 * Scalar special functions Java's Math lacks, in double precision: erf (exact GELU needs it) and the
 * activation formulas shared by the reference and the CPU backend.
 *
 * erf: |x| < 2.5 uses the everywhere-positive series  erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1}/(2n+1)!!
 * (no cancellation); 2.5 <= |x| < 6 uses the continued fraction of erfc evaluated backward; beyond 6, erf = ±1
 * to double precision (erfc(6) ~ 2e-17). Accuracy ~1e-15, checked against tabulated values in MathFunctionsTest.
 * That series is the reference; it costs ~100 ns for |x| near 2.5. erfFast, which the CPU backend's GELU uses, reads
 * erf and e^{-x^2} at the nearest node x0 of a grid of step 1/64 on [0, 6] (filled from the series once) and adds
 * the Taylor terms of erf around x0 up to h^6 (|h| <= 1/128): the n-th derivative of erf is
 * (2/sqrt(pi)) (-1)^{n-1} H_{n-1}(x) e^{-x^2} with the Hermite polynomials H_0 = 1, H_1 = 2x, H_{k+1} = 2x H_k - 2k H_{k-1},
 * and the first omitted term is below (1/128)^7/7! · |H_6| · 2/sqrt(pi) < 1e-17. It agrees with the series to 2e-15
 * (MathFunctionsTest) at ~10 ns.
 *
 * expf: a float exponential for the CPU backend's hot loops (softmax, SiLU, cross-entropy), several times faster
 * than Math.exp: x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two parts so the reduction is exact), e^r by the
 * degree-7 minimax polynomial of the Cephes library's expf, and 2^n put straight into the exponent bits; n is
 * rounded by adding 1.5·2^23 (no Math.floor, no float-to-int conversion: 2.9 instead of 5.6 ns per call here).
 * Within 2 ulp of the correctly rounded result over the whole float range (tested); below the normal range it
 * defers to Math.exp, and below ln(2^-150) (where e^x rounds to 0, as for the -inf of masked logits) returns 0.
 */
package dev.perennial.tensor;

/**
 * Scalar special functions missing from {@code Math}: {@code erf} in double (accuracy about 1e-15), a fast float
 * {@code expf} (within 2 ulp), sigmoid, and the GELU, tanh-GELU, quick-GELU and SiLU activations shared by the
 * reference and CPU backends.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class MathFunctions {
    private MathFunctions() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double SQRT_TWO_OVER_PI = 0.7978845608028654;

    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 0; n < 200 && term > 1e-17 * sum; n++) {
                term *= 2 * x2 / (2 * n + 3);
                sum += term;
            }
            r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        } else if (ax < 6) {
            // erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double f = ax;
            for (int k = 80; k >= 1; k--) f = ax + (k * 0.5) / f;
            r = 1 - ONE_OVER_SQRT_PI * Math.exp(-ax * ax) / f;
        } else {
            r = 1;
        }
        return x < 0 ? -r : r;
    }

    private static final int ERF_NODES_PER_UNIT = 64, ERF_NODES = 6 * ERF_NODES_PER_UNIT + 1;
    private static final double[] ERF_AT = new double[ERF_NODES], GAUSS_AT = new double[ERF_NODES];   // erf(x0), 2/√π e^{-x0²}

    static {
        for (int i = 0; i < ERF_NODES; i++) {
            double x0 = (double) i / ERF_NODES_PER_UNIT;
            ERF_AT[i] = erf(x0);
            GAUSS_AT[i] = TWO_OVER_SQRT_PI * Math.exp(-x0 * x0);
        }
    }

    /** erf(x) from the node table and a degree-6 Taylor step (see the class comment); within 2e-15 of erf(x). */
    public static double erfFast(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax >= 6) return x < 0 ? -1 : 1;
        int i = (int) (ax * ERF_NODES_PER_UNIT + 0.5);
        double x0 = (double) i / ERF_NODES_PER_UNIT, h = ax - x0;
        // Σ_{n=1..6} (-1)^{n-1} H_{n-1}(x0) hⁿ/n!, H_k by the recurrence; Horner in h from the top term down
        double h0 = 1, h1 = 2 * x0, h2 = 2 * x0 * h1 - 2 * h0, h3 = 2 * x0 * h2 - 4 * h1, h4 = 2 * x0 * h3 - 6 * h2,
                h5 = 2 * x0 * h4 - 8 * h3;
        double sum = h * (h0 - h * (h1 / 2 - h * (h2 / 6 - h * (h3 / 24 - h * (h4 / 120 - h * (h5 / 720))))));
        double r = ERF_AT[i] + GAUSS_AT[i] * sum;
        return x < 0 ? -r : r;
    }

    /** GELU with erfFast: what the CPU backend computes (the reference backend uses gelu). */
    public static double geluFast(double x) { return 0.5 * x * (1 + erfFast(x * SQRT_HALF)); }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;                        // 1.5·2^23: adding it rounds to an integer

    /** e^x in float (see the class comment). */
    public static float expf(float x) {
        if (!(x < 88.72283f && x >= -87.33654f)) return expfOutside(x);
        float t = x * LOG2E + ROUNDER;                     // n = round(x·log2 e) sits in t's low mantissa bits
        int k = Float.floatToRawIntBits(t) - 0x4B400000;   // n as an int, without a float-to-int conversion
        float n = t - ROUNDER;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
                + 1.6666665459e-1f) * r + 5.0000001201e-1f) * r * r) + r + 1f;
        // k in -126..128; 2^128 is not a float, so scale in two steps there
        return k > 127 ? p * 2f * Float.intBitsToFloat((k + 126) << 23) : p * Float.intBitsToFloat((k + 127) << 23);
    }

    /** expf outside the normal range: NaN, overflow to infinity, subnormal results, and 0. */
    private static float expfOutside(float x) {
        if (!(x < 88.72283f)) return x != x ? x : Float.POSITIVE_INFINITY;   // NaN stays NaN
        return x < -103.97208f ? 0f : (float) Math.exp(x);                    // 0 (masked -inf logits) and subnormals
    }

    /**
     * 1 / (1 + e^-x) in float. Branch-free (a sign branch mispredicts on half of a random input: 9 vs 6 ns per call
     * here): for x below -88.7, e^-x overflows to infinity and the result is 0 (the exact value is below 1e-38).
     */
    public static float sigmoidf(float x) {
        return 1f / (1f + expf(-x));
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** x/2 (1 + erf(x/sqrt 2)) */
    public static double gelu(double x) { return 0.5 * x * (1 + erf(x * SQRT_HALF)); }

    /** x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)));
    }

    /** x sigmoid(1.702 x) */
    public static double quickGelu(double x) { return x * sigmoid(1.702 * x); }

    /** x sigmoid(x) */
    public static double silu(double x) { return x * sigmoid(x); }
}
