/*
 * The CPU backend's native one-row product (pn_cpu.h through NativeCpuKernels) against its definition in double,
 * for F32, BF16 and F16 weights, shapes with partial vectors and partial 4-row blocks, and through CpuBackend.matmul
 * (the decode-step hook, rows split across threads). Tolerances from the formats: F32 and F16 weights are exact in
 * float32, so the error is float32 accumulation (≤ 1e-6 · Σ|w x| here); the BF16 path may round x to bfloat16
 * (8 significant bits: |δx| ≤ 2⁻⁹|x|), so ≤ 2⁻⁹ · Σ|w x| plus accumulation.
 * SwiGLU/SiLU (pn_cpu_act.h) against g·u/(1 + e^-g) in double over the whole float range, ±∞ and NaN included, by
 * itself and through CpuBackend.silu/swiglu: a float e^x within 2 ulp, an exact division and two products round four
 * times, so ≤ 6 ulp of the result; below g = −88.7, e^-g overflows and σ is 0 where it is below 3e-39, so the result
 * may also lose |g·u|·3e-39 (plus the smallest normal float, for results that underflow).
 */
package dev.perennial.cpu;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.CpuKernels;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class NativeCpuKernelsTest {
    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{1, 1}, {3, 5}, {4, 16}, {5, 33}, {37, 203}, {64, 768}, {8, 64}, {9, 100}};
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) for (int[] s : shapes) out.add(Arguments.of(dt, s[0], s[1]));
        return out;
    }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    static double tolerance(DType dt, double absSum) {
        return (dt == DType.BF16 ? Math.scalb(1.0, -9) : 0) * absSum + 1e-6 * absSum + 1e-7;
    }

    @ParameterizedTest(name = "{0} [{1}, {2}]")
    @MethodSource("cases")
    void gemvIsTheDefinition(DType dt, int n, int k) {
        SplittableRandom r = new SplittableRandom(31L * n + k + dt.ordinal());
        int ld = k + 3;                                                          // a padded leading dimension
        Tensor wFull = Tensor.of(random(r, n * ld), n, ld).to(dt);
        float[] wStored = wFull.to(DType.F32).toFloatArray();
        float[] x = random(r, k);
        Tensor xt = Tensor.of(x, k), y = Tensor.zeros(n + 2);
        CpuKernels kernels = new NativeCpuKernels();
        assertTrue(kernels.gemv(dt, wFull.storage().address(), ld, xt.storage().address(), y.storage().address() + 4, 0, n, k));
        float[] got = y.toFloatArray();
        assertEquals(0f, got[0], "rows outside [r0, r1) are not written");
        assertEquals(0f, got[n + 1]);
        for (int i = 0; i < n; i++) {
            double sum = 0, abs = 0;
            for (int j = 0; j < k; j++) {
                sum += (double) wStored[i * ld + j] * x[j];
                abs += Math.abs((double) wStored[i * ld + j] * x[j]);
            }
            assertEquals(sum, got[i + 1], tolerance(dt, abs), dt + " row " + i + " via " + kernels.name());
        }
    }

    @Test
    void theBackendsDecodeProductUsesItAcrossThreads() {
        assertNotNull(CpuKernels.available(), "perennial-native registers its kernels");
        assertTrue(CpuKernels.available().name().startsWith("native "), CpuKernels.available().name());
        SplittableRandom r = new SplittableRandom(5);
        int n = 301, k = 97;                                                      // rows split into 4-row multiples + a rest
        for (DType dt : new DType[]{DType.F32, DType.BF16}) {
            Tensor w = Tensor.of(random(r, n * k), n, k).to(dt);                // a weight [out, in] as checkpoints store it
            float[] ws = w.to(DType.F32).toFloatArray(), x = random(r, k);
            float[] got = new CpuBackend().matmul(Tensor.of(x, 1, k), w.transpose(0, 1)).toFloatArray();
            assertEquals(n, got.length);
            for (int i = 0; i < n; i++) {
                double sum = 0, abs = 0;
                for (int j = 0; j < k; j++) {
                    sum += (double) ws[i * k + j] * x[j];
                    abs += Math.abs((double) ws[i * k + j] * x[j]);
                }
                assertEquals(sum, got[i], tolerance(dt, abs), dt + " row " + i);
            }
        }
    }

    /**
     * SharedInputProducts on the CPU backend (one job over the rows of several one-row products, as a decode step's q,
     * k and v): the same bits as one matmul per weight, for F32 and BF16 weights of unequal, odd heights; and x with
     * more than one row takes the matmul path.
     */
    @Test
    void sharedInputProductsAreTheMatmuls() {
        SplittableRandom r = new SplittableRandom(11);
        int k = 97;
        CpuBackend be = new CpuBackend();
        dev.perennial.tensor.SharedInputProducts shared = dev.perennial.tensor.SharedInputProducts.OP.on(be);
        for (DType dt : new DType[]{DType.F32, DType.BF16}) {
            Tensor[] wt = {Tensor.of(random(r, 301 * k), 301, k).to(dt).transpose(0, 1), Tensor.of(random(r, 33 * k), 33, k).to(dt).transpose(0, 1),
                    Tensor.of(random(r, 1027 * k), 1027, k).to(dt).transpose(0, 1)};
            for (int rows : new int[]{1, 3}) {
                Tensor x = Tensor.of(random(r, rows * k), 1, rows, k);
                Tensor[] got = shared.products(x, wt);
                for (int i = 0; i < wt.length; i++) {
                    assertArrayEquals(be.matmul(x, wt[i]).toFloatArray(), got[i].toFloatArray(), 0f, dt + " product " + i + ", " + rows + " rows");
                    assertArrayEquals(new int[]{1, rows, wt[i].size(1)}, got[i].shape());
                }
            }
        }
    }

    /** g·σ(g)·u (u null: g·σ(g)) in double. */
    static double swigluDefinition(float g, Float u) {
        double s = g * (1 / (1 + Math.exp(-(double) g)));
        return u == null ? s : s * u;
    }

    static void assertSwiglu(float[] g, float[] u, float[] got, String what) {
        for (int i = 0; i < g.length; i++) {
            double want = swigluDefinition(g[i], u == null ? null : u[i]);
            String at = what + " at g = " + g[i] + (u == null ? "" : ", u = " + u[i]);
            if (Double.isNaN(want) || Double.isInfinite(want)) {
                assertEquals((float) want, got[i], at);
                continue;
            }
            double tail = Math.abs((double) g[i] * (u == null ? 1 : u[i])) * Math.exp(-88.72);   // σ is 0 below −88.7
            assertEquals(want, got[i], 6 * Math.ulp((float) want) + tail + Float.MIN_NORMAL, at);
        }
    }

    static float[] activations(SplittableRandom r, int n) {
        float[] v = new float[n];
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 88.7f, 88.8f, 89f, -87.3f, -103.9f, -104.5f, -150f, 200f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        for (int i = 0; i < n; i++) v[i] = i < special.length ? special[i] : (float) ((r.nextDouble() * 2 - 1) * (i % 3 == 0 ? 120 : 8));
        return v;
    }

    @Test
    void swigluIsTheDefinition() {
        CpuKernels kernels = new NativeCpuKernels();
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[]{1, 15, 16, 17, 33, 1000}) {
            float[] g = activations(r, n), u = random(r, n);
            Tensor gt = Tensor.of(g, n), ut = Tensor.of(u, n), out = Tensor.zeros(n + 1);
            assertTrue(kernels.swiglu(gt.storage().address(), ut.storage().address(), out.storage().address(), n));
            float[] got = out.toFloatArray();
            assertEquals(0f, got[n], "nothing is written past n");
            assertSwiglu(g, u, java.util.Arrays.copyOf(got, n), "swiglu n = " + n);
            assertTrue(kernels.swiglu(gt.storage().address(), 0, out.storage().address(), n));
            assertSwiglu(g, null, java.util.Arrays.copyOf(out.toFloatArray(), n), "silu n = " + n);
        }
    }

    @Test
    void theBackendsSwigluUsesItAcrossThreads() {
        SplittableRandom r = new SplittableRandom(12);
        int n = 40_003;                                                          // several blocks and a rest
        float[] g = activations(r, n), u = random(r, n);
        CpuBackend be = new CpuBackend();
        assertSwiglu(g, u, be.swiglu(Tensor.of(g, n), Tensor.of(u, n)).toFloatArray(), "CpuBackend.swiglu");
        assertSwiglu(g, null, be.silu(Tensor.of(g, n)).toFloatArray(), "CpuBackend.silu");
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor w = Tensor.zeros(4, 8), x = Tensor.zeros(8), y = Tensor.zeros(4);
        CpuKernels kernels = new NativeCpuKernels();
        assertThrows(IllegalArgumentException.class, () -> kernels.gemv(DType.F32, w.storage().address(), 4, x.storage().address(), y.storage().address(), 0, 4, 8),
                "a leading dimension below k");
        assertFalse(kernels.gemv(DType.I64, w.storage().address(), 8, x.storage().address(), y.storage().address(), 0, 4, 8), "not a weight type");
    }
}
