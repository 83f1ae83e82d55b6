/*
 * The BF16 tile product (pn_cpu_amx.h through NativeCpuKernels.gemmBf16) against its definition in double, for both
 * orientations of the weight (x·Wᵀ with W [n, k], a linear layer's forward; x·W with W [k, n], its input gradient),
 * and through CpuBackend.matmul (columns split across threads).
 *
 * Bounds from the format (docs/kernels.md, "BF16 products on AMX tiles"): the kernel rounds x to bfloat16 once and
 * accumulates exact bf16 products in float32, so against the sum over the rounded x in double the error is float32
 * accumulation's, ≤ 1e-6 · Σ|x w| here (k ≤ 1100 terms); against the sum over x as given it adds the rounding of x,
 * |δx| ≤ 2⁻⁹|x|, so ≤ (2⁻⁹ + 1e-6) · Σ|x w|.
 *
 * Shapes cover whole and partial tiles in every dimension: m below, at and past 32-row blocks, k not a multiple of 32
 * (the zero-padded last step, where reading past k would pick up the next row), column ranges that start and end
 * inside a 32-column panel, padded leading dimensions, and Y columns outside the range left untouched.
 * Runs where the CPU has AMX-BF16 (this project's machines do); elsewhere the kernel reports itself absent and the
 * test is skipped with that reason, and CpuBackend keeps widening BF16 tiles (CpuMatmul).
 */
package dev.perennial.cpu;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.CpuKernels;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NativeAmxGemmTest {
    static List<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] s = {            // m, k, n, j0, j1
                {16, 32, 32, 0, 32}, {17, 33, 45, 0, 45}, {31, 64, 64, 5, 60}, {32, 100, 96, 0, 96}, {70, 768, 200, 32, 200},
                {33, 1100, 17, 0, 17}, {64, 48, 130, 7, 129}, {1, 40, 40, 0, 40}};
        for (boolean wTrans : new boolean[]{true, false}) for (int[] x : s) out.add(Arguments.of(wTrans, x[0], x[1], x[2], x[3], x[4]));
        return out;
    }

    @ParameterizedTest(name = "W transposed {0}: m {1}, k {2}, n {3}, columns [{4}, {5})")
    @MethodSource("shapes")
    void productIsTheDefinition(boolean wTrans, int m, int k, int n, int j0, int j1) {
        CpuKernels kernels = CpuKernels.available();
        assertNotNull(kernels, "perennial-native registers its kernels");
        assumeTrue(kernels.hasBf16Gemm(), "no AMX-BF16 on this CPU (" + kernels.name() + ")");
        SplittableRandom r = new SplittableRandom(1000L * m + 10L * k + n + (wTrans ? 0 : 7));
        int ldx = k + 3, ldw = (wTrans ? k : n) + 5, ldy = n + 2, wRows = wTrans ? n : k;
        float[] x = new float[m * ldx];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        float[] wf = new float[wRows * ldw];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (r.nextDouble() * 2 - 1);
        Tensor w = Tensor.of(wf, wRows, ldw).to(DType.BF16);
        float[] ws = w.to(DType.F32).toFloatArray();
        float[] sentinel = new float[m * ldy];
        java.util.Arrays.fill(sentinel, -7f);
        Tensor xt = Tensor.of(x, m, ldx), y = Tensor.of(sentinel, m, ldy);
        assertTrue(kernels.gemmBf16(wTrans, xt.storage().address(), ldx, w.storage().address(), ldw, y.storage().address(), ldy, m, k, j0, j1));
        float[] got = y.toFloatArray(), xr = Tensor.of(x, x.length).to(DType.BF16).to(DType.F32).toFloatArray();   // x as bfloat16
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < ldy; j++) {
                float g = got[i * ldy + j];
                if (j < j0 || j >= j1) {
                    assertEquals(-7f, g, "Y[" + i + ", " + j + "] outside the column range is not written");
                    continue;
                }
                double rounded = 0, given = 0, abs = 0;
                for (int c = 0; c < k; c++) {
                    double wv = wTrans ? ws[j * ldw + c] : ws[c * ldw + j];
                    rounded += xr[i * ldx + c] * wv;
                    given += x[i * ldx + c] * wv;
                    abs += Math.abs(x[i * ldx + c] * wv);
                }
                assertEquals(rounded, g, 1e-6 * abs + 1e-7, "Y[" + i + ", " + j + "] against the rounded x");
                assertEquals(given, g, (Math.scalb(1.0, -9) + 1e-6) * abs + 1e-7, "Y[" + i + ", " + j + "] against x");
            }
        }
    }

    @Test
    void theBackendsBf16ProductsUseItAcrossThreads() {
        CpuKernels kernels = CpuKernels.available();
        assumeTrue(kernels != null && kernels.hasBf16Gemm(), "no AMX-BF16 on this CPU");
        SplittableRandom r = new SplittableRandom(3);
        int m = 40, k = 97, n = 301;                                    // 10 panels, the last one partial
        float[] x = new float[m * k], wf = new float[n * k], dy = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < dy.length; i++) dy[i] = (float) (r.nextDouble() * 2 - 1);
        Tensor w = Tensor.of(wf, n, k).to(DType.BF16);                   // a weight [out, in] as checkpoints store it
        float[] ws = w.to(DType.F32).toFloatArray();
        float[] fwd = new CpuBackend().matmul(Tensor.of(x, 1, m, k), w.transpose(0, 1)).toFloatArray();   // x·Wᵀ [m, n]
        float[] back = new CpuBackend().matmul(Tensor.of(dy, m, n), w).toFloatArray();                     // dy·W [m, k]
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, abs = 0;
                for (int c = 0; c < k; c++) {
                    sum += (double) x[i * k + c] * ws[j * k + c];
                    abs += Math.abs((double) x[i * k + c] * ws[j * k + c]);
                }
                assertEquals(sum, fwd[i * n + j], (Math.scalb(1.0, -9) + 1e-6) * abs + 1e-7, "x·Wᵀ row " + i + " column " + j);
            }
            for (int c = 0; c < k; c++) {
                double sum = 0, abs = 0;
                for (int j = 0; j < n; j++) {
                    sum += (double) dy[i * n + j] * ws[j * k + c];
                    abs += Math.abs((double) dy[i * n + j] * ws[j * k + c]);
                }
                assertEquals(sum, back[i * k + c], (Math.scalb(1.0, -9) + 1e-6) * abs + 1e-7, "dy·W row " + i + " column " + c);
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        CpuKernels kernels = CpuKernels.available();
        assumeTrue(kernels != null && kernels.hasBf16Gemm(), "no AMX-BF16 on this CPU");
        Tensor x = Tensor.zeros(64), w = Tensor.zeros(DType.BF16, 64), y = Tensor.zeros(64);
        assertThrows(IllegalArgumentException.class, () -> kernels.gemmBf16(true, x.storage().address(), 4, w.storage().address(), 8,
                y.storage().address(), 8, 2, 8, 0, 8), "a row stride of x below k");
        assertThrows(IllegalArgumentException.class, () -> kernels.gemmBf16(true, x.storage().address(), 8, w.storage().address(), 8,
                y.storage().address(), 4, 2, 8, 0, 8), "a row stride of y below the last column");
    }
}
