/*
 * The cached RoPE tables (RopeTable) give the CPU backend's rotation the same bits as computing each angle per call,
 * for positions inside the table, after it grows, for the negative positions of the backward pass (against the
 * reference backend) and beyond the cached range (computed directly).
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class RopeTableTest {
    static final CpuBackend CPU = new CpuBackend();

    /** x [1, H, T, hd] rotated by the per-call formula (angles in double, cos/sin rounded to float). */
    private static float[] perCall(float[] x, int heads, long[] pos, int hd, float theta) {
        int half = hd / 2, t = pos.length;
        double[] inv = RopeTable.inverseFrequencies(theta, hd);
        float[] out = new float[x.length];
        for (int h = 0; h < heads; h++) {
            for (int s = 0; s < t; s++) {
                int base = (h * t + s) * hd;
                for (int i = 0; i < half; i++) {
                    double a = pos[s] * inv[i];
                    float c = (float) Math.cos(a), sn = (float) Math.sin(a), x1 = x[base + i], x2 = x[base + i + half];
                    out[base + i] = x1 * c - x2 * sn;
                    out[base + i + half] = x2 * c + x1 * sn;
                }
            }
        }
        return out;
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void cachedTablesGiveThePerCallBits() {
        int heads = 3, hd = 16;
        for (long[] pos : new long[][]{{0, 1, 2, 3, 4}, {7, 300, 299, 1000, 4095}, {65535, 12, 65534}, {70000, 3, 1 << 20}}) {
            float[] x = random(heads * pos.length * hd, pos[0]);
            Tensor out = CPU.rope(Tensor.of(x, 1, heads, pos.length, hd), Tensor.ofLongs(pos, pos.length), 10000f);
            assertArrayEquals(perCall(x, heads, pos, hd, 10000f), out.toFloatArray(), java.util.Arrays.toString(pos));
        }
    }

    @Test
    void negativePositionsRotateBack() {
        int heads = 2, hd = 8;
        long[] pos = {0, -1, -5, -300, 9, -70000};
        float[] x = random(heads * pos.length * hd, 3);
        Tensor in = Tensor.of(x, 1, heads, pos.length, hd), p = Tensor.ofLongs(pos, pos.length);
        float[] got = CPU.rope(in, p, 500000f).toFloatArray(), ref = ReferenceBackend.INSTANCE.rope(in, p, 500000f).toFloatArray();
        for (int i = 0; i < got.length; i++) assertEquals(ref[i], got[i], 1e-6 * Math.max(1, Math.abs(ref[i])), "element " + i);
    }
}
