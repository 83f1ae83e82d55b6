// TEMPORARY STUB (not to be committed): replaced by the helper's PromptSimilarity.
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

public final class PromptSimilarity {
    public static Backend.TopK select(Backend be, Tensor queries, Tensor keys, float[] weights, Tensor mask, int k) {
        int m = queries.size(0), nq = queries.size(1), nk = keys.size(1), d = queries.size(2);
        float[] q = queries.contiguous().toFloatArray(), kk = keys.contiguous().toFloatArray();
        float[] vals = new float[nq * k]; long[] idx = new long[nq * k];
        for (int b = 0; b < nq; b++) {
            double[] s = new double[nk];
            for (int j = 0; j < nk; j++) {
                for (int mm = 0; mm < m; mm++) {
                    double dot = 0, a = 0, c = 0;
                    for (int x = 0; x < d; x++) { double u = q[(mm * nq + b) * d + x], v = kk[(mm * nk + j) * d + x]; dot += u * v; a += u * u; c += v * v; }
                    s[j] += a == 0 || c == 0 ? 0 : weights[mm] * dot / Math.sqrt(a) / Math.sqrt(c);
                }
            }
            boolean[] used = new boolean[nk];
            for (int r = 0; r < k; r++) {
                int best = -1;
                for (int j = 0; j < nk; j++) {
                    if (used[j] || (mask != null && mask.getLong(b, j) == 0)) continue;
                    if (best < 0 || s[j] > s[best]) best = j;
                }
                idx[b * k + r] = best; vals[b * k + r] = best < 0 ? Float.NEGATIVE_INFINITY : (float) s[best];
                if (best >= 0) used[best] = true;
            }
        }
        return new Backend.TopK(Tensor.of(vals, nq, k), Tensor.ofLongs(idx, nq, k));
    }
}
