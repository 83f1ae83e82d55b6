/*
 * Shared by the attention tests of every implementation (CpuAttentionTest here, the CUDA kernels' AttentionTest
 * in native/, through core's test jar): the row log-sum-exp in double, the comparison with −inf matched exactly,
 * Gaussian operands, and KV caches whose unused rows are NaN (an implementation that reads past Tk shows).
 */
package dev.perennial.tensor;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

public final class AttentionReference {
    private AttentionReference() {}

    /**
     * lse [B, H, T] in double: log Σ_j exp(scale·q_i·k_j) over the keys {@code m} lets query i see, −inf when it
     * sees none. q [B, H, T, hd], k [B, KV, Tk, hd] (grouped heads: query head h reads kv head h / (H / KV)).
     */
    public static double[] lse(Tensor q, Tensor k, AttentionMask m, float scale) {
        int b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = k.size(1), tk = k.size(2), g = h / kv;
        double[] qv = q.toDoubleArray(), kvv = k.toDoubleArray();
        double[] out = new double[b * h * t];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        if ((m.isCausal() && j > m.start() + i) || !m.keyValid(bi, j)) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        int qo = ((bi * h + hi) * t + i) * hd, ko = ((bi * kv + hi / g) * tk + j) * hd;
                        for (int d = 0; d < hd; d++) dot += qv[qo + d] * kvv[ko + d];
                        s[j] = scale * dot;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk && max > Double.NEGATIVE_INFINITY; j++) sum += Math.exp(s[j] - max);
                    out[(bi * h + hi) * t + i] = max == Double.NEGATIVE_INFINITY ? max : max + Math.log(sum);
                }
            }
        }
        return out;
    }

    /** −inf must match exactly; anything else within atol + rtol·|r| (NaN never passes). */
    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            boolean ok = Double.isInfinite(e) ? a == e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
            assertTrue(ok, what + " element " + i + ": expected " + e + ", got " + a);
        }
    }

    /** How q, k and v are laid out in memory. */
    public enum Layout {
        CONTIGUOUS,
        /** k, v: [B, KV, Tk + 5, hd] caches narrowed to Tk rows, unused rows NaN; q narrowed from [B, H, T + 2, hd]. */
        CACHE_VIEW,
        /** q: a [B, T, H, hd] tensor transposed to [B, H, T, hd]. */
        TRANSPOSED_Q
    }

    /** Gaussian q [B, H, T, hd], k and v [B, KV, Tk, hd] in the given layout, drawn from {@code rnd}. */
    public static Tensor[] operands(Random rnd, Layout layout, int b, int h, int kv, int t, int tk, int hd) {
        return switch (layout) {
            case CACHE_VIEW -> new Tensor[]{gaussian(rnd, b, h, t + 2, hd).narrow(2, 1, t),
                    nanTail(gaussian(rnd, b, kv, tk + 5, hd), tk).narrow(2, 0, tk),
                    nanTail(gaussian(rnd, b, kv, tk + 5, hd), tk).narrow(2, 0, tk)};
            case TRANSPOSED_Q -> new Tensor[]{gaussian(rnd, b, t, h, hd).transpose(1, 2), gaussian(rnd, b, kv, tk, hd),
                    gaussian(rnd, b, kv, tk, hd)};
            case CONTIGUOUS -> new Tensor[]{gaussian(rnd, b, h, t, hd), gaussian(rnd, b, kv, tk, hd), gaussian(rnd, b, kv, tk, hd)};
        };
    }

    /** A tensor of standard normal floats. */
    public static Tensor gaussian(Random rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, (float) rnd.nextGaussian());
        return t;
    }

    /** A [B, KV, Tmax, hd] cache whose rows at and after {@code used} are set to NaN; returned for chaining. */
    public static Tensor nanTail(Tensor cache, int used) {
        int rows = cache.size(2), hd = cache.size(3);
        for (int i = 0; i < cache.numel(); i++) {
            if (i / hd % rows >= used) cache.storage().setFloat(i, Float.NaN);
        }
        return cache;
    }
}
