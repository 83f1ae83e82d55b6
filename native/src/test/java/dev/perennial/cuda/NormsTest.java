/*
 * The norm kernels (cuda/src/main/cuda/norms.cu) on the emulated device against ReferenceBackend.rmsNorm and
 * layerNorm (double accumulation), under both fiber orders: d in {1, 7, 64, 129} (warp per row, row counts that
 * leave a partly empty last block) and {1031, 4096} (block per row, 1031 not a multiple of the 256 threads);
 * without parameters, with an F32 weight, with F16 weight + BF16 bias and BF16 weight + F32 bias; rows with
 * offsets 0, 2, -50 and 100 around unit spread (the float mean's error matters there); constant rows (variance
 * 0: LayerNorm must give exactly the bias, RMSNorm no NaN); strided and 3-d inputs; launcher error codes; and
 * the backward of both (dx, dweight, dbias) over the same table.
 *
 * Tolerance |a - r| <= 1e-6 + 1e-5 |r|: the statistics are float sums over up to d = 4096 elements, d/256 + 8
 * sequential additions deep in the block kernel (d/32 + 5 in the warp kernel), i.e. ~2e-6 relative in the
 * variance at worst and ~1e-6 in rsqrt; LayerNorm's centred value is formed as (x - m) - shift, so it carries
 * no rounding of the mean itself (norms.cu). Measured worst case over these sizes (8 rows each, offsets up to
 * 100, F32 weight): 9.5e-7 absolute, ~1 ulp of outputs of magnitude 8-16, i.e. ~3% of the tolerance.
 * Backward (dx, dweight, dbias against GradBackend's rules evaluated in double in this test): 1e-5 + 1e-5 |r|.
 * dx = r (g - mean g - xhat mean(g xhat)) subtracts two float row means from g (cancellation where dx is small
 * against |g| ~ 1-3), dweight/dbias are float sums over the rows of products carrying xhat's error; measured
 * worst cases over the same sizes: 2.5e-6 absolute on values up to 14, at most 9% of the tolerance.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.NormGradients;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NormsTest {
    private static final ReferenceBackend REF = ReferenceBackend.INSTANCE;
    private static final double ATOL = 1e-6, RTOL = 1e-5;
    private static final double BACKWARD_ATOL = 1e-5, BACKWARD_RTOL = 1e-5;
    private static final float EPS = 1e-5f;
    private static final float[] ROW_OFFSETS = {0f, 2f, -50f, 100f};
    /** {d, rows}: warp-per-row sizes first, then block-per-row. */
    private static final int[][] SIZES = {{1, 9}, {7, 5}, {64, 6}, {129, 3}, {1031, 2}, {4096, 2}};

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** Which affine parameters a case has, and their dtypes (null = absent). */
    enum Params {
        NONE(null, null), F32_WEIGHT(DType.F32, null), F16_WEIGHT_BF16_BIAS(DType.F16, DType.BF16),
        BF16_WEIGHT_F32_BIAS(DType.BF16, DType.F32);

        final DType weight, bias;

        Params(DType weight, DType bias) {
            this.weight = weight;
            this.bias = bias;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> rows = new ArrayList<>();
        for (FiberOrder order : FiberOrder.values())
            for (int[] s : SIZES)
                for (Params p : Params.values()) rows.add(Arguments.of(order, s[0], s[1], p));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} d={1} rows={2} {3}")
    @MethodSource("cases")
    void rmsNormMatchesReference(FiberOrder order, int d, int rows, Params params) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(d * 31L + rows);
        Tensor x = rowsWithOffsets(rnd, rows, d), w = vector(rnd, d, params.weight, 1f);
        Close.assertClose(REF.rmsNorm(x, w, EPS), EmulatedDevice.kernels().rmsNorm(x, w, EPS), ATOL, RTOL, "rmsNorm");
    }

    @ParameterizedTest(name = "{0} d={1} rows={2} {3}")
    @MethodSource("cases")
    void layerNormMatchesReference(FiberOrder order, int d, int rows, Params params) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(d * 37L + rows);
        Tensor x = rowsWithOffsets(rnd, rows, d);
        Tensor w = vector(rnd, d, params.weight, 1f), b = vector(rnd, d, params.bias, 0f);
        Close.assertClose(REF.layerNorm(x, w, b, EPS), EmulatedDevice.kernels().layerNorm(x, w, b, EPS), ATOL, RTOL,
                "layerNorm");
    }

    @ParameterizedTest(name = "{0} d={1} rows={2} {3}")
    @MethodSource("cases")
    void rmsNormBackwardMatchesReference(FiberOrder order, int d, int rows, Params params) {
        checkBackward(order, d, rows, params, false);
    }

    @ParameterizedTest(name = "{0} d={1} rows={2} {3}")
    @MethodSource("cases")
    void layerNormBackwardMatchesReference(FiberOrder order, int d, int rows, Params params) {
        checkBackward(order, d, rows, params, true);
    }

    private static void checkBackward(FiberOrder order, int d, int rows, Params params, boolean layer) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(d * 41L + rows + (layer ? 1 : 0));
        Tensor x = rowsWithOffsets(rnd, rows, d), dy = gaussian(rnd, rows, d);
        Tensor w = vector(rnd, d, params.weight, 1f), b = vector(rnd, d, params.bias, 0f);
        double[][] ref = normGradients(x.toFloatArray(), dy.toFloatArray(), w == null ? null : w.toFloatArray(), rows, d,
                EPS, layer);
        NormGradients g = layer ? EmulatedDevice.kernels().layerNormBackward(dy, x, w, b, EPS)
                : EmulatedDevice.kernels().rmsNormBackward(dy, x, w, EPS);
        Close.assertClose(tensor(ref[0], rows, d), g.dx(), BACKWARD_ATOL, BACKWARD_RTOL, "dx");
        if (w == null) assertNull(g.dweight(), "no weight, no dweight");
        else Close.assertClose(tensor(ref[1], d), g.dweight(), BACKWARD_ATOL, BACKWARD_RTOL, "dweight");
        if (!layer || b == null) assertNull(g.dbias(), "no bias, no dbias");
        else Close.assertClose(tensor(ref[2], d), g.dbias(), BACKWARD_ATOL, BACKWARD_RTOL, "dbias");
    }

    @Test
    void backwardOfNoRowsGivesZeroParameterGradients() {
        Tensor x = Tensor.zeros(0, 5), w = Tensor.of(new float[]{1, 2, 3, 4, 5}, 5);
        NormGradients g = EmulatedDevice.kernels().layerNormBackward(x, x, w, w, EPS);
        assertArrayEquals(new float[5], g.dweight().toFloatArray());
        assertArrayEquals(new float[5], g.dbias().toFloatArray());
        assertEquals(0, g.dx().numel());
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rmsNormBackward(Tensor.zeros(2, 5),
                Tensor.zeros(2, 4), null, EPS));
        try (FloatPointer in = new FloatPointer(12); FloatPointer out = new FloatPointer(12)) {
            assertEquals(1, EmuKernels.pn_rms_norm_backward(in, in, null, 0, 0, out, out, null, 3, 4, EPS, null),
                    "dweight without row_stats scratch");
            assertEquals(1, EmuKernels.pn_layer_norm_backward(in, null, null, 0, 0, out, null, null, null, 3, 4, EPS, null),
                    "null x");
        }
    }

    /**
     * Variance 0: LayerNorm gives exactly the bias, RMSNorm x / sqrt(x^2 + eps) (0 for a zero row); no NaN; the
     * LayerNorm backward is (g - mean g) / sqrt(eps) with dweight 0.
     */
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void constantRowsGiveBiasAndNoNaN(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        float[] values = {3.7f, 0f, -1000.3f, 1e-20f, 65504f};
        for (int[] s : SIZES) {
            int d = s[0];
            float[] v = new float[values.length * d];
            for (int r = 0; r < values.length; r++) java.util.Arrays.fill(v, r * d, (r + 1) * d, values[r]);
            Tensor x = Tensor.of(v, values.length, d);
            Random rnd = new Random(d);
            Tensor w = vector(rnd, d, DType.F32, 1f), b = vector(rnd, d, DType.BF16, 0f);
            float[] y = EmulatedDevice.kernels().layerNorm(x, w, b, EPS).toFloatArray(), bias = b.toFloatArray();
            for (int i = 0; i < y.length; i++) assertEquals(bias[i % d], y[i], "layerNorm d=" + d + " element " + i);
            Tensor rms = EmulatedDevice.kernels().rmsNorm(x, w, EPS);
            for (float f : rms.toFloatArray()) assertFalse(Float.isNaN(f), "rmsNorm NaN, d=" + d);
            Close.assertClose(REF.rmsNorm(x, w, EPS), rms, ATOL, RTOL, "rmsNorm constant rows d=" + d);
            Tensor dy = gaussian(rnd, values.length, d);
            double[][] ref = normGradients(v, dy.toFloatArray(), w.toFloatArray(), values.length, d, EPS, true);
            NormGradients g = EmulatedDevice.kernels().layerNormBackward(dy, x, w, b, EPS);
            Close.assertClose(tensor(ref[0], values.length, d), g.dx(), BACKWARD_ATOL, BACKWARD_RTOL, "dx, constant rows");
            Close.assertClose(tensor(ref[1], d), g.dweight(), BACKWARD_ATOL, BACKWARD_RTOL, "dweight, constant rows");
        }
    }

    @Test
    void stridedAndHigherRankInputs() {
        Random rnd = new Random(3);
        Tensor x = rowsWithOffsets(rnd, 2 * 40, 3).reshape(2, 40, 3).transpose(1, 2);   // [2, 3, 40] view
        Tensor w = vector(rnd, 40, DType.F16, 1f);
        Tensor wView = Tensor.of(new float[80], 2, 40).to(DType.F16);
        wView.select(0, 1).copyFrom(w);                                                     // weight at offset 40
        Close.assertClose(REF.rmsNorm(x, w, EPS), EmulatedDevice.kernels().rmsNorm(x, wView.select(0, 1), EPS),
                ATOL, RTOL, "rmsNorm");
        Close.assertClose(REF.layerNorm(x, null, wView.select(0, 1), EPS),
                EmulatedDevice.kernels().layerNorm(x, null, wView.select(0, 1), EPS), ATOL, RTOL, "layerNorm");
        Tensor wStrided = vector(rnd, 80, DType.F32, 1f).reshape(40, 2).select(1, 1);        // stride 2: copied
        Close.assertClose(REF.layerNorm(x, wStrided, null, EPS), EmulatedDevice.kernels().layerNorm(x, wStrided, null, EPS),
                ATOL, RTOL, "layerNorm strided weight");
    }

    @Test
    void badShapesAndLauncherArguments() {
        Tensor x = Tensor.zeros(3, 4);
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rmsNorm(x, Tensor.zeros(5), EPS));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().layerNorm(x, null, Tensor.zeros(2, 2), EPS));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rmsNorm(Tensor.scalar(1f), null, EPS));
        try (FloatPointer in = new FloatPointer(12); FloatPointer out = new FloatPointer(12)) {
            assertEquals(1, EmuKernels.pn_rms_norm(in, null, 0, 0, out, -1, 4, EPS, null), "rows < 0");
            assertEquals(1, EmuKernels.pn_rms_norm(in, null, 0, 0, out, 3, -4, EPS, null), "d < 0");
            assertEquals(1, EmuKernels.pn_rms_norm(in, in, 5, 0, out, 3, 4, EPS, null), "weight dtype");
            assertEquals(1, EmuKernels.pn_layer_norm(in, null, 0, 0, in, 0, -2, out, 3, 4, EPS, null), "bias offset");
            assertEquals(1, EmuKernels.pn_layer_norm(null, null, 0, 0, null, 0, 0, out, 3, 4, EPS, null), "null x");
            assertEquals(0, EmuKernels.pn_layer_norm(null, null, 0, 0, null, 0, 0, null, 0, 4, EPS, null), "no rows");
            assertEquals(0, EmuKernels.pn_rms_norm(null, null, 0, 0, null, 3, 0, EPS, null), "empty rows");
        }
    }

    /**
     * GradBackend's rules in double: {dx [rows * d], dweight [d], dbias [d]} with xhat = (x - mu) r,
     * r = 1/sqrt(var + eps), g = dy w, dx = r (g - mean g - xhat mean(g xhat)) (RMSNorm: mu = 0, var = mean x^2,
     * no mean g), dweight = sum_rows dy xhat, dbias = sum_rows dy.
     */
    private static double[][] normGradients(float[] x, float[] dy, float[] w, int rows, int d, float eps, boolean layer) {
        double[] dx = new double[rows * d], dw = new double[d], db = new double[d];
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            double mean = 0, var = 0;
            if (layer) {
                for (int j = 0; j < d; j++) mean += x[o + j];
                mean /= d;
            }
            for (int j = 0; j < d; j++) var += (x[o + j] - mean) * (x[o + j] - mean);
            double inv = 1 / Math.sqrt(var / d + eps), sg = 0, sgx = 0;
            for (int j = 0; j < d; j++) {
                double g = dy[o + j] * (w == null ? 1.0 : w[j]), xhat = (x[o + j] - mean) * inv;
                sg += g;
                sgx += g * xhat;
                dw[j] += dy[o + j] * xhat;
                db[j] += dy[o + j];
            }
            double a = layer ? sg / d : 0, b = sgx / d;
            for (int j = 0; j < d; j++) {
                double g = dy[o + j] * (w == null ? 1.0 : w[j]), xhat = (x[o + j] - mean) * inv;
                dx[o + j] = inv * (g - a - xhat * b);
            }
        }
        return new double[][]{dx, dw, db};
    }

    private static Tensor tensor(double[] v, int... shape) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    private static Tensor gaussian(Random rnd, int rows, int d) {
        float[] v = new float[rows * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        return Tensor.of(v, rows, d);
    }

    // [rows, d], row r = ROW_OFFSETS[r % 4] + N(0, 1).
    private static Tensor rowsWithOffsets(Random rnd, int rows, int d) {
        float[] v = new float[rows * d];
        for (int i = 0; i < v.length; i++) v[i] = ROW_OFFSETS[i / d % ROW_OFFSETS.length] + (float) rnd.nextGaussian();
        return Tensor.of(v, rows, d);
    }

    // A [d] parameter around `center` (spread 0.5) stored as `dtype`, or null.
    private static Tensor vector(Random rnd, int d, DType dtype, float center) {
        if (dtype == null) return null;
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = center + 0.5f * (float) rnd.nextGaussian();
        Tensor t = Tensor.of(v, d);
        return dtype == DType.F32 ? t : t.to(dtype);
    }
}
