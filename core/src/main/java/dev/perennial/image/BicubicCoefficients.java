/*
 * The filter taps of one axis of a PIL bicubic resize, in PIL's fixed point: for every output position, the
 * first input index, the number of taps, and the weights scaled by 2^22 (docs/methods/llava-numerics.md, "Real LLaVA-1.5
 * preprocessing", step 2: PIL BICUBIC with antialiasing on uint8).
 *
 * This is Pillow's algorithm (libImaging/Resample.c, precompute_coeffs and normalize_coeffs_8bpc), restated so
 * that every double operation happens in the same order, which makes the result bit-identical:
 *   scale   = inSize / outSize; the filter is stretched by max(scale, 1) (antialiasing when shrinking),
 *   support = 2 * max(scale, 1) input pixels on each side of the centre (xx + 0.5) * scale,
 *   taps    = [(int)(centre - support + 0.5), (int)(centre + support + 0.5)) clipped to the image,
 *   weight  = bicubic((i - centre + 0.5) / max(scale, 1)) with a = -0.5, divided by the taps' sum,
 *   fixed   = (int)(weight * 2^22 +- 0.5), rounding half away from zero.
 * PRECISION_BITS = 22 = 32 - 8 - 2 leaves 8 bits for the sample value and 2 for the overshoot of the
 * negative lobes, so a 32-bit int accumulator never overflows.
 */
package dev.perennial.image;

final class BicubicCoefficients {
    static final int PRECISION_BITS = 22;

    /** Maximum number of taps per output position (the row length of {@link #weights}). */
    final int taps;
    /** first[o]: input index of the first tap of output o. */
    final int[] first;
    /** count[o]: taps actually used by output o (at most {@link #taps}). */
    final int[] count;
    /** weights[o * taps + t]: fixed-point weight of input first[o] + t. */
    final int[] weights;

    private BicubicCoefficients(int taps, int[] first, int[] count, int[] weights) {
        this.taps = taps;
        this.first = first;
        this.count = count;
        this.weights = weights;
    }

    /** Taps for resampling {@code inSize} samples to {@code outSize}. */
    static BicubicCoefficients of(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int taps = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize], count = new int[outSize], weights = new int[outSize * taps];
        double[] w = new double[taps];
        double inverseScale = 1.0 / filterScale;
        for (int o = 0; o < outSize; o++) {
            double centre = (o + 0.5) * scale;
            int lo = Math.max(0, (int) (centre - support + 0.5));
            int n = Math.min(inSize, (int) (centre + support + 0.5)) - lo;
            double sum = 0.0;
            for (int t = 0; t < n; t++) {
                w[t] = cubic((t + lo - centre + 0.5) * inverseScale);
                sum += w[t];
            }
            for (int t = 0; t < n; t++) {
                double normalised = sum != 0.0 ? w[t] / sum : w[t];
                double scaled = normalised * (1 << PRECISION_BITS);
                weights[o * taps + t] = (int) (normalised < 0 ? scaled - 0.5 : scaled + 0.5);
            }
            first[o] = lo;
            count[o] = n;
        }
        return new BicubicCoefficients(taps, first, count, weights);
    }

    /** Keys' cubic convolution kernel with a = -0.5 (support 2), in PIL's operation order. */
    static double cubic(double x) {
        double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /** PIL's clip8: the accumulator (which started at 2^21 for rounding) shifted down and clamped to 0..255. */
    static int clip8(int accumulator) {
        int v = accumulator >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
