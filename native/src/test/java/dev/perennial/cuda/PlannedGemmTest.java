/*
 * The CUDA backend's GEMM plan (PlannedGemm) on the emulated device: the calls it hands the engine — the arguments
 * cublasGemmEx gets on a GPU — are recorded, then run by the OpenBLAS stand-in (HostGemmEngine).
 *
 * Error bounds, element by element, with S = sum_k |x_k| |w_k| (computed in double) and u = 2^-24 (float32 unit
 * roundoff), all deterministic worst cases (not statistical), each with a 1 % margin for the second-order terms:
 *  - BF16 weight x F32 activations (the bf16x3 path): a product of two BF16 values has 8 + 8 significant bits, so
 *    W·hi, W·mid and W·lo are sums of exact products; each sum of K terms carries at most K u S_part, the two
 *    additions of the parts 2 u more: |y - r| <= 1.01 (K + 2) u S, plus u |r| for the bias addition. This is the
 *    bound of a float32 GEMM on the widened weight: BF16 storage costs no accuracy here.
 *  - BF16 x BF16: one part, |y - r| <= 1.01 K u S.
 *  - TF32 (opt-in): each input rounded to 10 explicit mantissa bits (unit roundoff 2^-11), so a product is off by
 *    at most (2 · 2^-11 + 2^-22) of |x||w| before the float32 sum: |y - r| <= 1.01 (2 · 2^-11 + 2^-22 + K u) S.
 * The reference r is the product in double of the same values (BF16 weights widened exactly).
 */
package dev.perennial.cuda;

import dev.perennial.nn.Linear;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlannedGemmTest {
    private static final double U = 0x1p-24, TF32_U = 0x1p-11;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** Records the planned calls, then runs them on the emulated device's engine. */
    static final class Recording implements GemmEngine {
        final List<GemmCall> calls = Collections.synchronizedList(new ArrayList<>());
        private final GemmEngine engine = new HostGemmEngine();

        @Override
        public void run(GemmCall call) {
            calls.add(call);
            engine.run(call);
        }
    }

    private static CudaBackend backend(Recording engine, boolean tf32) {
        CudaDevice base = CudaDevice.emulated(false);
        return new CudaBackend(new CudaDevice("emulated, recording GEMMs", base.kernels(),
                new PlannedGemm(base.kernels(), engine, tf32)));
    }

    /** A BF16-weight linear layer, x [2, 5, 300] · W [70, 300]ᵀ + b: one BF16 GemmEx call, float32 accuracy. */
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void bf16LinearLayerIsOneGemmExOnTheStoredWeight(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int k = 300, n = 70;
        Random rnd = new Random(1);
        Tensor x = gaussian(rnd, 2, 5, k);
        Tensor w = gaussian(rnd, n, k).to(DType.BF16).frozen();         // read-only, like a memory-mapped checkpoint
        Tensor bias = gaussian(rnd, n);
        Recording engine = new Recording();
        CudaBackend be = backend(engine, false);
        be.resetTraffic();
        Tensor y = new Linear("layer", w, bias).forward(be, x);         // [2, 5, 70]

        assertEquals(1, engine.calls.size());
        GemmCall c = engine.calls.get(0);
        assertEquals(DType.BF16, c.inputs());
        assertEquals(GemmCall.Compute.FP32, c.compute());
        assertTrue(c.transA() && !c.transB(), "W read as the transpose of its row-major [N, K] storage");
        assertEquals(List.of(n, 3 * 10, k, k, k, n, 1), List.of(c.m(), c.n(), c.k(), c.lda(), c.ldb(), c.ldc(), c.batch()),
                "m = N, n = 3 parts x 10 rows, k = K; lda, ldb, ldc; batch");
        assertEquals(DType.BF16, c.a().dtype());
        assertEquals(n * k, c.a().storage().length(), "the weight's own BF16 bytes, not a converted copy");
        // what went in: the weight's BF16 bytes once, x and the bias as F32 — no F32 copy of the weight
        assertEquals(2L * n * k + 4L * x.numel() + 4L * n, be.traffic().uploadedBytes(), "uploads " + be.traffic().uploaded());
        assertTrue(be.traffic().uploaded().contains("BF16[" + n * k + "]"), "uploads " + be.traffic().uploaded());

        double[] r = plus(ReferenceBackend.INSTANCE.matmul(x, w.transpose(0, 1)).toDoubleArray(), bias.toDoubleArray());
        double[] s = absProducts(x, w);
        float[] got = y.toFloatArray();
        for (int i = 0; i < r.length; i++) {
            double bound = 1.01 * (k + 2) * U * s[i] + U * Math.abs(r[i]);
            assertTrue(Math.abs(got[i] - r[i]) <= bound, "element " + i + ": " + got[i] + " vs " + r[i] + " (bound " + bound + ")");
        }
    }

    /** BF16 activations against a BF16 weight: one part, no split. */
    @Test
    void bf16ActivationsAreUsedAsTheyAre() {
        int k = 96, n = 40;
        Random rnd = new Random(2);
        Tensor x = gaussian(rnd, 7, k).to(DType.BF16), w = gaussian(rnd, k, n).to(DType.BF16);   // w row-major [K, N]
        Recording engine = new Recording();
        Tensor y = backend(engine, false).matmul(x, w);
        GemmCall c = engine.calls.get(0);
        assertEquals(List.of(false, n, 7, k, n), List.of(c.transA(), c.m(), c.n(), c.k(), c.lda()));
        assertEquals(DType.BF16, c.inputs());
        assertWithin(ReferenceBackend.INSTANCE.matmul(x, w), y, absProducts(x, w.transpose(0, 1)), 1.01 * k * U);
    }

    /** F32 x F32: FP32 compute by default; TF32 only when asked, and then within the TF32 bound (and not FP32's). */
    @Test
    void tf32IsOptIn() {
        int k = 256, n = 48;
        Random rnd = new Random(3);
        Tensor x = gaussian(rnd, 9, k), w = gaussian(rnd, n, k).transpose(0, 1);
        Tensor r = ReferenceBackend.INSTANCE.matmul(x, w);
        double[] s = absProducts(x, w.transpose(0, 1));

        Recording fp32 = new Recording();
        Tensor exact = backend(fp32, false).matmul(x, w);
        assertEquals(GemmCall.Compute.FP32, fp32.calls.get(0).compute());
        assertWithin(r, exact, s, 1.01 * k * U);

        Recording tf32 = new Recording();
        Tensor fast = backend(tf32, true).matmul(x, w);
        assertEquals(GemmCall.Compute.TF32, tf32.calls.get(0).compute());
        assertEquals(DType.F32, tf32.calls.get(0).inputs());
        assertWithin(r, fast, s, 1.01 * (2 * TF32_U + TF32_U * TF32_U + k * U));
        assertThrows(AssertionError.class, () -> assertWithin(r, fast, s, 1.01 * k * U), "TF32 rounding must show");
    }

    /** Batched products and F16 weights take the F32 path: widened operands, one strided-batched call. */
    @Test
    void batchedAndF16ProductsAreF32Calls() {
        Random rnd = new Random(4);
        Recording engine = new Recording();
        CudaBackend be = backend(engine, false);
        Tensor q = gaussian(rnd, 2, 3, 5, 16), kt = gaussian(rnd, 2, 3, 16, 7);
        Tensor scores = be.matmul(q, kt);
        GemmCall c = engine.calls.get(0);
        assertEquals(List.of(7, 5, 16, 6, 7L * 16, 5L * 16, 5L * 7), List.of(c.m(), c.n(), c.k(), c.batch(), c.strideA(),
                c.strideB(), c.strideC()));
        assertEquals(DType.F32, c.inputs());
        assertWithin(ReferenceBackend.INSTANCE.matmul(q, kt), scores, absBatched(q, kt), 1.01 * 16 * U);

        Tensor x = gaussian(rnd, 4, 33), w16 = gaussian(rnd, 10, 33).to(DType.F16).transpose(0, 1);
        Tensor y = be.matmul(x, w16);
        assertEquals(DType.F32, engine.calls.get(1).inputs());
        assertWithin(ReferenceBackend.INSTANCE.matmul(x, w16), y, absProducts(x, w16.transpose(0, 1)), 1.01 * 33 * U);
    }

    /** cuBLAS's argument rules are enforced on the emulated device too. */
    @Test
    void callsBreakingCublasRulesAreRejected() {
        Tensor a = Tensor.zeros(64), c = Tensor.zeros(64), h = Tensor.zeros(DType.BF16, 64);
        GemmCall ok = new GemmCall(false, false, 4, 4, 4, a, 4, 0, a, 4, 0, c, 4, 0, 1, DType.F32, GemmCall.Compute.FP32);
        assertSame(a, ok.a());
        assertThrows(IllegalArgumentException.class, () -> new GemmCall(false, false, 4, 4, 4, a, 3, 0, a, 4, 0, c, 4, 0, 1,
                DType.F32, GemmCall.Compute.FP32));                             // lda < m
        assertThrows(IllegalArgumentException.class, () -> new GemmCall(true, false, 4, 4, 5, a, 4, 0, a, 5, 0, c, 4, 0, 1,
                DType.F32, GemmCall.Compute.FP32));                             // op T: lda < k
        assertThrows(IllegalArgumentException.class, () -> new GemmCall(false, false, 4, 4, 4, h, 4, 0, h, 4, 0, c, 4, 0, 1,
                DType.BF16, GemmCall.Compute.TF32));                            // TF32 needs F32 inputs
        assertThrows(IllegalArgumentException.class, () -> new GemmCall(false, false, 4, 4, 4, a, 4, 0, h, 4, 0, c, 4, 0, 1,
                DType.F32, GemmCall.Compute.FP32));                             // mixed input types
    }

    // ------------------------------------------------------------------------------------------------ helpers

    // |y - r| <= rel · s, element by element
    private static void assertWithin(Tensor expected, Tensor actual, double[] s, double rel) {
        double[] r = expected.toDoubleArray();
        float[] y = actual.toFloatArray();
        assertEquals(r.length, y.length);
        for (int i = 0; i < r.length; i++) {
            double bound = rel * s[i];
            if (!(Math.abs(y[i] - r[i]) <= bound)) {
                throw new AssertionError("element " + i + ": " + y[i] + " vs " + r[i] + " (bound " + bound + ")");
            }
        }
    }

    // S [.., N] = sum_k |x[.., k]| |w[n, k]| in double, for x [.., K] and w [N, K].
    private static double[] absProducts(Tensor x, Tensor w) {
        int k = x.size(-1), n = w.size(0), rows = (int) (x.numel() / k);
        double[] xv = x.contiguous().toDoubleArray(), wv = w.contiguous().toDoubleArray(), s = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int t = 0; t < k; t++) sum += Math.abs(xv[i * k + t]) * Math.abs(wv[j * k + t]);
                s[i * n + j] = sum;
            }
        }
        return s;
    }

    // S [B, H, M, N] = sum_k |a[.., m, k]| |b[.., k, n]| for a [B, H, M, K], b [B, H, K, N].
    private static double[] absBatched(Tensor a, Tensor b) {
        int batch = a.size(0) * a.size(1), m = a.size(2), k = a.size(3), n = b.size(3);
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), s = new double[batch * m * n];
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int t = 0; t < k; t++) sum += Math.abs(av[(p * m + i) * k + t]) * Math.abs(bv[(p * k + t) * n + j]);
                    s[(p * m + i) * n + j] = sum;
                }
            }
        }
        return s;
    }

    private static double[] plus(double[] rows, double[] bias) {
        for (int i = 0; i < rows.length; i++) rows[i] += bias[i % bias.length];
        return rows;
    }
}
