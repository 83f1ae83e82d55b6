/*
 * AttentionMask's additive form (the definition fused kernels must agree with) and Backend.attention's composition
 * against attention written out in double for one query row: causal with a cache offset, padding, a query that
 * sees no key (zero output), GQA head mapping.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AttentionMaskTest {
    private static final float NEG = Float.NEGATIVE_INFINITY;

    @Test
    void causalWithCacheOffsetAndPadding() {
        boolean[][] valid = {{false, true, true, true}, {true, true, true, true}};
        Tensor m = AttentionMask.causal(2, valid).additive(2, 2, 4);          // T = 2 new queries after 2 cached keys
        assertEquals(4, m.rank());
        float[] row0 = {NEG, 0, 0, NEG}, row1 = {NEG, 0, 0, 0};              // batch 0: key 0 is padding
        for (int j = 0; j < 4; j++) {
            assertEquals(row0[j], m.getFloat(0, 0, 0, j), "b0 i0 j" + j);
            assertEquals(row1[j], m.getFloat(0, 0, 1, j), "b0 i1 j" + j);
        }
        assertEquals(0f, m.getFloat(1, 0, 0, 0));
        assertEquals(NEG, m.getFloat(1, 0, 0, 3));
    }

    @Test
    void noneHasNoAdditiveMaskAndCausalWithoutPaddingIsShared() {
        assertNull(AttentionMask.none().additive(3, 5, 5));
        assertEquals(1, AttentionMask.causal(0, null).additive(3, 5, 5).size(0));
        assertNull(AttentionMask.causal(0, null).keyValidTensor(3, 5));
    }

    @Test
    void validityOfTheWrongSizeIsRejected() {
        AttentionMask m = AttentionMask.padding(new boolean[][]{{true, true}});
        assertThrows(IllegalArgumentException.class, () -> m.additive(2, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.causal(-1, null));
    }

    @Test
    void composedAttentionMatchesDoubleLoopsWithGqaAndAnEmptyRow() {
        int b = 2, h = 4, kvh = 2, t = 3, tk = 5, hd = 3, start = 2;
        Random rnd = new Random(5);
        Tensor q = randn(rnd, b, h, t, hd), k = randn(rnd, b, kvh, tk, hd), v = randn(rnd, b, kvh, tk, hd);
        boolean[][] valid = {{true, true, true, true, true}, {false, false, false, false, true}};  // b1: q0, q1 see nothing
        AttentionMask mask = AttentionMask.causal(start, valid);
        float scale = 0.7f;
        for (Backend be : new Backend[]{ReferenceBackend.INSTANCE, new CpuBackend()}) {
            Tensor out = be.attention(q, k, v, mask, scale);
            for (int bi = 0; bi < b; bi++) {
                for (int hi = 0; hi < h; hi++) {
                    for (int i = 0; i < t; i++) {
                        double[] e = expected(q, k, v, mask, scale, bi, hi, hi / (h / kvh), i, tk, hd);
                        for (int c = 0; c < hd; c++) {
                            assertEquals(e[c], out.getFloat(bi, hi, i, c), 1e-5, be.name() + " b" + bi + " h" + hi + " i" + i);
                        }
                    }
                }
            }
        }
    }

    private static double[] expected(Tensor q, Tensor k, Tensor v, AttentionMask mask, float scale, int b, int h,
                                     int kvHead, int i, int tk, int hd) {
        double[] s = new double[tk];
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < tk; j++) {
            boolean visible = j <= mask.start() + i && mask.keyValid(b, j);
            double dot = 0;
            for (int c = 0; c < hd; c++) dot += (double) q.getFloat(b, h, i, c) * k.getFloat(b, kvHead, j, c);
            s[j] = visible ? scale * dot : Double.NEGATIVE_INFINITY;
            mx = Math.max(mx, s[j]);
        }
        double[] out = new double[hd];
        if (mx == Double.NEGATIVE_INFINITY) return out;
        double z = 0;
        for (int j = 0; j < tk; j++) z += Math.exp(s[j] - mx);
        for (int j = 0; j < tk; j++) {
            double p = Math.exp(s[j] - mx) / z;
            for (int c = 0; c < hd; c++) out[c] += p * v.getFloat(b, kvHead, j, c);
        }
        return out;
    }

    private static Tensor randn(Random rnd, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return Tensor.of(x, shape);
    }
}
