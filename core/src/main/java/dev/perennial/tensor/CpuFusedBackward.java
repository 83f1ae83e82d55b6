/*
 * The CPU's backward kernels for the row-wise ops (autograd.FusedBackward): one pass over each row where GradBackend's
 * composition makes five to eight (each a full pass over memory, and a tensor for each intermediate). Formulas
 * are GradBackend's (g = d loss / d y, r = 1 / sqrt(mean(x²) + eps)):
 *
 *   rmsNorm     dx = r·ĝ − x·r³·mean(ĝ·x),  ĝ = g·w;          dw = Σ_rows g·x·r
 *   layerNorm   dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)), x̂ = (x − mean x)·r;  dw = Σ_rows g·x̂;  db = Σ_rows g
 *   rope        dx = rope(g, −positions)
 *   crossEntropy dlogits = (softmax(logits) − onehot(target))·dloss, zero rows at the ignore index
 *
 * Rows run in parallel; per-row sums are in double. The parameter gradients are summed over fixed blocks of 64
 * rows and the blocks added in order, so results do not depend on the thread count. Checked against the
 * composition in double (CpuFusedBackwardTest).
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;

final class CpuFusedBackward {
    private static final int BLOCK = 64;

    private CpuFusedBackward() {}

    private static Tensor dense(Tensor t) {
        return t.dtype() == DType.F32 ? t.contiguous() : t.to(DType.F32);
    }

    static NormGradients rmsNorm(Tensor dy, Tensor x, Tensor weight, float eps) {
        return norm(dy, x, weight, null, eps, false);
    }

    static NormGradients layerNorm(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps) {
        return norm(dy, x, weight, bias, eps, true);
    }

    private static NormGradients norm(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps, boolean centred) {
        Tensor xs = dense(x), gs = dense(dy);
        int d = x.size(-1), rows = (int) (x.numel() / d);
        float[] w = weight == null ? null : dense(weight).toFloatArray();
        Tensor dx = Tensor.empty(DType.F32, x.shape());
        int blocks = (rows + BLOCK - 1) / BLOCK;
        double[][] dwParts = weight == null ? null : new double[blocks][];
        double[][] dbParts = bias == null ? null : new double[blocks][];
        FloatBuffer xf = xs.storage().floats(), gf = gs.storage().floats(), of = dx.storage().floats();
        int xo = xs.offset(), go = gs.offset();
        Parallel.forRows(blocks, (long) BLOCK * d * 8, (b0, b1) -> {
            float[] xr = new float[d], gr = new float[d], out = new float[d];
            double[] gh = new double[d], xh = new double[d];
            for (int blk = b0; blk < b1; blk++) {
                double[] dw = w == null ? null : new double[d], db = bias == null ? null : new double[d];
                for (int row = blk * BLOCK; row < Math.min(rows, (blk + 1) * BLOCK); row++) {
                    xf.get(xo + row * d, xr, 0, d);
                    gf.get(go + row * d, gr, 0, d);
                    double mean = 0;
                    if (centred) {
                        for (int j = 0; j < d; j++) mean += xr[j];
                        mean /= d;
                    }
                    double ss = 0;
                    for (int j = 0; j < d; j++) ss += (xr[j] - mean) * (xr[j] - mean);
                    double r = 1 / Math.sqrt(ss / d + eps);
                    double meanGh = 0, meanGhX = 0;
                    for (int j = 0; j < d; j++) {
                        gh[j] = w == null ? gr[j] : (double) gr[j] * w[j];
                        xh[j] = (xr[j] - mean) * r;                         // x̂ (rmsNorm: x·r)
                        meanGh += gh[j];
                        meanGhX += gh[j] * xh[j];
                        if (dw != null) dw[j] += gr[j] * xh[j];
                        if (db != null) db[j] += gr[j];
                    }
                    meanGh /= d;
                    meanGhX /= d;
                    for (int j = 0; j < d; j++) {
                        out[j] = centred ? (float) (r * (gh[j] - meanGh - xh[j] * meanGhX))
                                : (float) (r * gh[j] - xh[j] * r * meanGhX);           // x·r³·mean(ĝ·x) = x̂·r·mean(ĝ·x̂)
                    }
                    of.put(row * d, out, 0, d);
                }
                if (dw != null) dwParts[blk] = dw;
                if (db != null) dbParts[blk] = db;
            }
        });
        return new NormGradients(dx, sumParts(dwParts, d, weight), sumParts(dbParts, d, bias));
    }

    private static Tensor sumParts(double[][] parts, int d, Tensor like) {
        if (parts == null) return null;
        double[] s = new double[d];
        for (double[] p : parts) for (int j = 0; j < d; j++) s[j] += p[j];
        float[] f = new float[d];
        for (int j = 0; j < d; j++) f[j] = (float) s[j];
        return Tensor.of(f, like.shape());
    }

    static Tensor rope(CpuBackend be, Tensor dy, Tensor positions, float theta) {
        long[] p = positions.toLongArray();
        for (int i = 0; i < p.length; i++) p[i] = -p[i];
        return be.rope(dy, Tensor.ofLongs(p, positions.shape()), theta);
    }

    static Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss) {
        Tensor ls = dense(logits);
        int n = logits.size(0), v = logits.size(1);
        long[] t = targets.toLongArray();
        float[] dl = dense(dloss).toFloatArray();
        Tensor out = Tensor.empty(DType.F32, n, v);
        FloatBuffer lf = ls.storage().floats(), of = out.storage().floats();
        int lo = ls.offset();
        Parallel.forRows(n, (long) v * 4, (r0, r1) -> {
            float[] row = new float[v];
            for (int i = r0; i < r1; i++) {
                if (t[i] == ignoreIndex) {
                    java.util.Arrays.fill(row, 0f);
                    of.put(i * v, row, 0, v);
                    continue;
                }
                lf.get(lo + i * v, row, 0, v);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) max = Math.max(max, row[j]);
                double sum = 0;
                for (int j = 0; j < v; j++) sum += row[j] = MathFunctions.expf(row[j] - max);
                float scale = (float) (dl[i] / sum);
                for (int j = 0; j < v; j++) row[j] *= scale;
                row[(int) t[i]] -= dl[i];
                of.put(i * v, row, 0, v);
            }
        });
        return out;
    }
}
