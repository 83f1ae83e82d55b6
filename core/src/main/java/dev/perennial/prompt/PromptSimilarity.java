/*
 * Prompt selection for a batch as one fused similarity + top-k (docs/methods/modalprompt.md §5.1, §14):
 *
 *   score[q, j] = sum_m w_m · cos(queries[m, q], keys[m, j])          queries [M, nq, d], keys [M, nk, d]
 *
 * then, per query, the k best keys the candidate mask allows (higher score first, ties to the lower index; missing
 * slots -1 / -inf; NaN scores never chosen). cos is 0 when either vector is exactly zero, else the exact cosine;
 * torch's cosine_similarity clamps each norm at 1e-8 instead, which differs only for vectors of norm below 1e-8.
 *
 * Three implementations of one contract: reference() in double with plain loops (the oracle), cpu() — rows
 * normalised once, one GEMM per modality ([nq, d] · [d, nk]), a weighted sum and a masked partial top-k per row,
 * rows in parallel — and the cosine_topk CUDA kernel behind FusedPromptSelection on a CUDA backend. select()
 * picks the backend's fused op when there is one, the CPU path otherwise. F16/BF16 inputs are widened on entry.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.Arrays;

/**
 * Weighted cosine similarity and top-k for prompt selection: queries {@code [M, nq, d]} against keys {@code [M, nk, d]}
 * with weights {@code [M]} give each query's k best allowed keys, values {@code [nq, k]} and indices {@code [nq, k]}
 * (ties to the lower index, -1 and -inf in empty slots). {@code reference} is the double-precision oracle, {@code cpu}
 * the vectorised path, {@code select} a backend's fused op if it has one.
 * <p>Stateless; its static methods are safe to call from several threads (its one static field is a thread-safe
 * {@code CpuBackend}); a backend's fused op is as thread-safe as that backend.
 */
public final class PromptSimilarity {
    private static final CpuBackend CPU = new CpuBackend();

    private PromptSimilarity() {}

    /** The backend's fused op when it has one, else the CPU path. Same arguments and result as cpu(). */
    public static Backend.TopK select(Backend be, Tensor queries, Tensor keys, float[] weights, Tensor candidateMask, int k) {
        check(queries, keys, weights, candidateMask, k);
        FusedPromptSelection f = FusedPromptSelection.OP.on(be);
        if (f != null) return f.weightedCosineTopk(queries, keys, weights, candidateMask, k);
        return cpu(queries, keys, weights, candidateMask, k);
    }

    /** The full score matrix [nq][nk] in double (the oracle's scores). */
    public static double[][] referenceScores(Tensor queries, Tensor keys, float[] weights) {
        check(queries, keys, weights, null, 1);
        int m = queries.size(0), nq = queries.size(1), nk = keys.size(1), d = queries.size(2);
        float[] q = floats(queries), kk = floats(keys);
        double[][] s = new double[nq][nk];
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                double total = 0;
                for (int mm = 0; mm < m; mm++) {
                    double dot = 0, a = 0, b = 0;
                    for (int x = 0; x < d; x++) {
                        double u = q[(mm * nq + i) * d + x], v = kk[(mm * nk + j) * d + x];
                        dot += u * v;
                        a += u * u;
                        b += v * v;
                    }
                    total += a == 0 || b == 0 ? 0 : weights[mm] * (dot / (Math.sqrt(a) * Math.sqrt(b)));
                }
                s[i][j] = total;
            }
        }
        return s;
    }

    /** The oracle: referenceScores() and a full sort per row. */
    public static Backend.TopK reference(Tensor queries, Tensor keys, float[] weights, Tensor candidateMask, int k) {
        check(queries, keys, weights, candidateMask, k);
        int nq = queries.size(1), nk = keys.size(1);
        double[][] s = referenceScores(queries, keys, weights);
        boolean[] allowed = allowed(candidateMask, nq, nk);
        float[] values = new float[nq * k];
        long[] indices = new long[nq * k];
        for (int i = 0; i < nq; i++) {
            final int row = i;
            Integer[] order = new Integer[nk];
            for (int j = 0; j < nk; j++) order[j] = j;
            Arrays.sort(order, (a, b) -> s[row][a] != s[row][b] ? Double.compare(s[row][b], s[row][a]) : Integer.compare(a, b));
            int w = 0;
            for (int j = 0; j < nk && w < k; j++) {
                int c = order[j];
                if (!allowed[i * nk + c] || Double.isNaN(s[i][c])) continue;
                indices[i * k + w] = c;
                values[i * k + w++] = (float) s[i][c];
            }
            for (; w < k; w++) {
                indices[i * k + w] = -1;
                values[i * k + w] = Float.NEGATIVE_INFINITY;
            }
        }
        return new Backend.TopK(Tensor.of(values, nq, k), Tensor.ofLongs(indices, nq, k));
    }

    /** The vectorised CPU path: unit rows, one sgemm per modality, weighted sum, masked partial top-k per row. */
    public static Backend.TopK cpu(Tensor queries, Tensor keys, float[] weights, Tensor candidateMask, int k) {
        check(queries, keys, weights, candidateMask, k);
        int m = queries.size(0), nq = queries.size(1), nk = keys.size(1), d = queries.size(2);
        float[] values = new float[nq * k];
        long[] indices = new long[nq * k];
        if (nq == 0) return new Backend.TopK(Tensor.of(values, 0, k), Tensor.ofLongs(indices, 0, k));
        float[] scores = new float[nq * nk];                                                // [nq, nk]
        try (TensorScope ignored = TensorScope.open()) {
            float[] q = floats(queries), kk = floats(keys);
            for (int mm = 0; mm < m; mm++) {
                if (weights[mm] == 0) continue;
                Tensor qm = Tensor.of(unitRows(q, mm * nq * d, nq, d), nq, d);
                Tensor km = Tensor.of(unitRows(kk, mm * nk * d, nk, d), nk, d);
                float[] s = CPU.matmul(qm, km.transpose(0, 1)).contiguous().toFloatArray();  // [nq, nk]
                float w = weights[mm];
                for (int i = 0; i < s.length; i++) scores[i] += w * s[i];
            }
        }
        boolean[] allowed = allowed(candidateMask, nq, nk);
        Parallel.forRows(nq, (long) nk * (k + 1), (from, to) -> {
            int[] best = new int[k];
            for (int i = from; i < to; i++) topRow(scores, allowed, i, nk, k, best, values, indices);
        });
        return new Backend.TopK(Tensor.of(values, nq, k), Tensor.ofLongs(indices, nq, k));
    }

    /** Insertion into a sorted list of at most k: higher score first, then lower index (j ascends, so ties keep order). */
    private static void topRow(float[] scores, boolean[] allowed, int i, int nk, int k, int[] best, float[] values, long[] indices) {
        int n = 0;
        for (int j = 0; j < nk; j++) {
            float v = scores[i * nk + j];
            if (!allowed[i * nk + j] || Float.isNaN(v)) continue;
            if (n == k && !(v > scores[i * nk + best[k - 1]])) continue;
            int at = n < k ? n++ : k - 1;
            while (at > 0 && v > scores[i * nk + best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = j;
        }
        for (int r = 0; r < k; r++) {
            indices[i * k + r] = r < n ? best[r] : -1;
            values[i * k + r] = r < n ? scores[i * nk + best[r]] : Float.NEGATIVE_INFINITY;
        }
    }

    /** rows [n, d] starting at offset, each divided by its norm (computed in double); zero rows stay zero. */
    private static float[] unitRows(float[] x, int offset, int n, int d) {
        float[] out = new float[n * d];
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int c = 0; c < d; c++) s += (double) x[offset + r * d + c] * x[offset + r * d + c];
            if (s == 0) continue;
            double inv = 1 / Math.sqrt(s);
            for (int c = 0; c < d; c++) out[r * d + c] = (float) (x[offset + r * d + c] * inv);
        }
        return out;
    }

    private static boolean[] allowed(Tensor mask, int nq, int nk) {
        boolean[] a = new boolean[nq * nk];
        if (mask == null) {
            Arrays.fill(a, true);
            return a;
        }
        long[] v = mask.to(DType.I64).contiguous().toLongArray();
        for (int i = 0; i < a.length; i++) a[i] = v[i] != 0;
        return a;
    }

    private static float[] floats(Tensor t) {
        return t.to(DType.F32).contiguous().toFloatArray();
    }

    private static void check(Tensor queries, Tensor keys, float[] weights, Tensor mask, int k) {
        if (queries.rank() != 3 || keys.rank() != 3 || queries.size(0) != keys.size(0) || queries.size(2) != keys.size(2)) {
            throw new IllegalArgumentException("prompt selection expects queries [M, nq, d] and keys [M, nk, d], got "
                    + Arrays.toString(queries.shape()) + " and " + Arrays.toString(keys.shape()));
        }
        if (weights == null || weights.length != queries.size(0)) {
            throw new IllegalArgumentException("one weight per modality: " + queries.size(0) + " modalities, "
                    + (weights == null ? "no" : weights.length) + " weights");
        }
        for (float w : weights) if (!Float.isFinite(w)) throw new IllegalArgumentException("weights must be finite: " + Arrays.toString(weights));
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (mask != null && (!Arrays.equals(mask.shape(), new int[]{queries.size(1), keys.size(1)})
                || (mask.dtype() != DType.BOOL && mask.dtype() != DType.U8))) {
            throw new IllegalArgumentException("the candidate mask must be BOOL or U8 [" + queries.size(1) + ", " + keys.size(1) + "], got "
                    + mask.dtype() + Arrays.toString(mask.shape()));
        }
        for (DType t : new DType[]{queries.dtype(), keys.dtype()}) {
            if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException("queries and keys must be floating point, got " + t);
        }
    }
}
