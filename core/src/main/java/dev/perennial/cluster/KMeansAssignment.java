/*
 * The assignment step of ADAPT-∞'s pseudo-task clustering (docs/methods/adapt-inf.md §3): for points x [n, d] and centroids
 * c [K, d], label[i] = argmin_k ‖x_i − c_k‖² and dist[i] = that squared distance.
 *
 * Rule shared by every implementation (reference(), assign() and the CUDA kernel kmeans_assign.cu):
 *  - ties go to the lower centroid index;
 *  - a NaN distance ranks after every number, +inf included (as NaN ranks last in Backend's argmax/top-k): a
 *    centroid containing NaN never wins over a non-NaN distance, and a point containing NaN (all its distances
 *    NaN) gets label 0 and dist NaN. ADAPT-∞ replaces NaN by 0 before clustering (§3), so this only fixes what a
 *    stray NaN does instead of leaving it undefined.
 *
 * reference() is the definition: Σ_j (x_ij − c_kj)² in double. assign() is the fast CPU path: blocks of points,
 * dots = x_block · cᵀ by one sgemm of the CPU backend (OpenBLAS), then ‖x‖² − 2 x·c + ‖c‖² in double with the
 * norms in double and negatives from cancellation clamped to 0. Blocks are sized so each sgemm stays below
 * OpenBLAS's threading threshold (MAX_GEMM_MNK, as in select.RandomProjection) and run in parallel with Parallel, memory
 * O(block · K) per worker. Measured for n = 20000, d = 8192, K = 10 on this project's 2-core machine (shared
 * with other jobs): the whole assign() ~16 GFLOP/s (2·n·K·d per second; the sgemms alone ~35–50, the rest is
 * the double ‖x‖² pass), against ~8 with 1024-point sgemm calls that start OpenBLAS's own threads.
 * Its distances carry the expansion's cancellation error (≈ d·2^-24·(‖x‖² + ‖c‖²)), so near-ties may resolve
 * differently from reference(). KMeans's GEMM assignment runs the same block code per chunk on its own threads
 * (assignOnThisThread); docs/performance.md has the N = 100k numbers of both.
 */
package dev.perennial.cluster;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Gemm;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The k-means assignment step: for points x {@code [n, d]} and centroids {@code [K, d]}, each point's nearest centroid
 * (labels {@code [n]}, ties to the lower index) and squared Euclidean distance {@code [n]}; {@code assign} is the fast
 * GEMM path (float32 products, double sums), {@code reference} the exact definition in double.
 * <p>Thread-safe: its only field is the final {@link Gemm}, which several threads may call at once by Gemm's contract,
 * and each call keeps its state in its own arrays, so several threads may share an instance.
 */
public final class KMeansAssignment {
    /** m·n·k below which OpenBLAS runs a product on one thread: blocks are sized to stay under it. */
    private static final long MAX_GEMM_MNK = 1L << 18;

    private static final int MIN_POINT_BLOCK = 8, MAX_POINT_BLOCK = 1024;

    /** label[i] ∈ [0, K) and dist[i] = ‖x_i − c_label‖² (≥ 0, or NaN for a point containing NaN). */
    public record Assignment(int[] labels, float[] distances) {}

    private final Gemm gemm;

    /** An assignment running its GEMMs on a default CpuBackend (OpenBLAS unless -Dperennial.gemm says otherwise). */
    public KMeansAssignment() {
        this(new CpuBackend());
    }

    public KMeansAssignment(CpuBackend cpu) {
        this.gemm = cpu.gemm();
    }

    /** Fast path: nearest centroid of every point by the GEMM expansion. x [n, d], centroids [K, d]. */
    public Assignment assign(Tensor x, Tensor centroids) {
        check(x, centroids);
        int n = x.size(0), d = x.size(1), k = centroids.size(0);
        Tensor xs = dense(x), cs = dense(centroids);
        double[] cc = centroidNorms(cs);
        int[] labels = new int[n];
        float[] dist = new float[n];
        int block = pointBlock(k, d);
        Parallel.forRows((n + block - 1) / block, (long) block * k * d,
                (b0, b1) -> assignBlocks(xs, cs, cc, null, block, b0, b1, labels, dist, 0));
        return new Assignment(labels, dist);
    }

    /**
     * The fast path on the calling thread only (KMeans runs it per chunk from its own parallel loop): rows of
     * xs [rows, d] against cs [K, d] (both contiguous F32), results written to labels/dist at [at, at + rows).
     * @param cc ‖c_k‖² from {@link #centroidNorms}
     * @param xx [rows] ‖x_i‖² as squaredNorm computes them (the caller has the rows at hand)
     */
    void assignOnThisThread(Tensor xs, Tensor cs, double[] cc, double[] xx, int[] labels, float[] dist, int at) {
        int n = xs.size(0), block = pointBlock(cs.size(0), xs.size(1));
        assignBlocks(xs, cs, cc, xx, block, 0, (n + block - 1) / block, labels, dist, at);
    }

    /** [K] ‖c_k‖² in double of a contiguous F32 [K, d]. */
    static double[] centroidNorms(Tensor cs) {
        int k = cs.size(0), d = cs.size(1);
        FloatBuffer cf = cs.storage().floats();
        double[] cc = new double[k];
        float[] row = new float[d];
        for (int c = 0; c < k; c++) {
            cf.get(cs.offset() + c * d, row, 0, d);
            cc[c] = squaredNorm(row, d);
        }
        return cc;
    }

    /** Points per sgemm call, so that block·K·d stays below OpenBLAS's threading threshold. */
    private static int pointBlock(int k, int d) {
        return (int) Math.max(MIN_POINT_BLOCK, Math.min(MAX_POINT_BLOCK, MAX_GEMM_MNK / ((long) k * d)));
    }

    /** Point blocks [b0, b1) of xs: one sgemm each, then the argmin in double; xx: row norms, or null to compute them. */
    private void assignBlocks(Tensor xs, Tensor cs, double[] cc, double[] xx, int block, int b0, int b1, int[] labels,
                              float[] dist, int at) {
        int n = xs.size(0), d = xs.size(1), k = cs.size(0);
        FloatBuffer xf = xs.storage().floats();
        float[] xr = new float[d], dr = new float[k];
        try (Tensor dots = Tensor.empty(DType.F32, block, k)) {           // [block, K] x_i · c_k
            FloatBuffer df = dots.storage().floats();
            for (int b = b0; b < b1; b++) {
                int p0 = b * block, rows = Math.min(block, n - p0);
                gemm.sgemm(false, true, rows, k, d, 1f, xs.storage(), xs.offset() + p0 * d, d,
                        cs.storage(), cs.offset(), d, 0f, dots.storage(), 0, k);
                for (int r = 0; r < rows; r++) {
                    double norm;
                    if (xx != null) {
                        norm = xx[p0 + r];
                    } else {
                        xf.get(xs.offset() + (p0 + r) * d, xr, 0, d);
                        norm = squaredNorm(xr, d);
                    }
                    df.get(r * k, dr, 0, k);
                    int best = 0;
                    double bestDist = Double.NaN;
                    for (int c = 0; c < k; c++) {
                        double v = norm - 2.0 * dr[c] + cc[c];
                        if (v < 0) v = 0;                             // cancellation; NaN stays NaN
                        if (c == 0 || closer(v, bestDist)) {
                            best = c;
                            bestDist = v;
                        }
                    }
                    labels[at + p0 + r] = best;
                    dist[at + p0 + r] = (float) bestDist;
                }
            }
        }
    }

    /** The definition: Σ_j (x_ij − c_kj)² in double for every pair, argmin with the rule above. */
    public static Assignment reference(Tensor x, Tensor centroids) {
        check(x, centroids);
        int n = x.size(0), d = x.size(1), k = centroids.size(0);
        double[] xv = x.toDoubleArray(), cv = centroids.toDoubleArray();  // [n, d], [K, d]
        int[] labels = new int[n];
        float[] dist = new float[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestDist = Double.NaN;
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double diff = xv[i * d + j] - cv[c * d + j];
                    s += diff * diff;
                }
                if (c == 0 || closer(s, bestDist)) {
                    best = c;
                    bestDist = s;
                }
            }
            labels[i] = best;
            dist[i] = (float) bestDist;
        }
        return new Assignment(labels, dist);
    }

    // Whether distance v of a later centroid beats best: strictly smaller, NaN ranked after every number, so
    // equal distances (NaN included) keep the earlier, lower index.
    private static boolean closer(double v, double best) {
        return !Double.isNaN(v) && (Double.isNaN(best) || v < best);
    }

    static double squaredNorm(float[] v, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double) v[j] * v[j];
        return s;
    }

    private static void check(Tensor x, Tensor centroids) {
        if (x.rank() != 2 || centroids.rank() != 2 || x.size(1) != centroids.size(1)) {
            throw new IllegalArgumentException("k-means assignment expects x [n, d] and centroids [K, d], got "
                    + Arrays.toString(x.shape()) + " and " + Arrays.toString(centroids.shape()));
        }
        if (centroids.size(0) < 1 || x.size(1) < 1) {
            throw new IllegalArgumentException("k-means assignment needs K >= 1 centroids of d >= 1 dims, got "
                    + Arrays.toString(centroids.shape()));
        }
    }

    private static Tensor dense(Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + t);
        return t.dtype() == DType.F32 ? t.contiguous() : t.to(DType.F32);
    }
}
