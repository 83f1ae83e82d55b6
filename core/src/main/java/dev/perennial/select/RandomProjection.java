/*
 * Rademacher random projection of ADAPT-∞'s gradient features (docs/methods/adapt-inf.md §2.4–2.5): x [n, d] -> [n, k] with
 *   out[i, c] = Σ_j x[i, j] · R[rowOffset + j, c],   R = RademacherSigns (±1, generated on the fly, never stored)
 * followed by an L2 normalisation of every row. rowOffset places x's columns at rows rowOffset .. rowOffset+d-1
 * of R, so a gradient too large for memory is projected chunk by chunk with accumulate() and the sums add up
 * to the projection of the whole gradient.
 *
 * Three implementations share the definition: reference() (plain loops over RademacherSigns.sign, double
 * accumulation: the definition), the fast CPU path accumulate()/project() here, and the CUDA kernel
 * cuda/src/main/cuda/random_projection.cu (tested against reference() in native/).
 *
 * Fast path: work is split over blocks of COLUMN_BLOCK output columns (Parallel, one task per block, so tasks
 * write disjoint columns of out). A task expands the sign bits of a few rows into a ±1 float panel
 * [rows, COLUMN_BLOCK] (one hash per 64 columns, bytes -> 8 floats through a 256-entry table) and adds
 * x[:, rows] · panel into out with one sgemm of the CPU backend (OpenBLAS). Each sgemm is kept below
 * m·n·k = 2^18, small enough to stay on the calling thread (OpenBlasGemm splits only products of 2^18 and more;
 * when OpenBLAS still ran its own threads, larger calls started them under our parallel loop and oversubscribed
 * the cores). Measured on this project's 2-core machine for
 * n = 16, d = 20000, k = 8192 (10.5 GFLOP; one session, all numbers roughly halve while other jobs load the
 * machine): this path ~78 GFLOP/s; the same with 2^22-sized sgemm calls ~20 GFLOP/s; a register-blocked pure-Java add loop over the same panels ~16 GFLOP/s; expanding one sign costs
 * ~0.35 ns (table) vs ~0.55 ns (branch-free bit arithmetic) vs ~4 ns (branching). The panel/GEMM path is kept.
 */
package dev.perennial.select;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Gemm;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The dense Rademacher projection of gradient features: {@code project} maps {@code x [n, d]} to F32 {@code [n, k]},
 * and {@code accumulate} adds the projection into {@code out [n, k]} in place, in parallel blocks of 256 columns on the
 * CPU backend's GEMM; {@code reference} is the double-precision definition and {@code normalizeRows} scales rows to
 * unit L2 norm.
 * <p>Thread-safe: its only field is the final GEMM of a thread-safe {@code CpuBackend}, and its sign table is filled
 * once by the static initializer; concurrent calls need distinct {@code out} tensors.
 */
public final class RandomProjection implements GradientProjection {
    private static final int COLUMN_BLOCK = 256;          // output columns per task: 4 sign words
    /** m·n·k per sgemm call kept on the calling thread (cluster.KMeansAssignment sizes its blocks the same way). */
    static final long MAX_GEMM_MNK = 1L << 18;
    private static final int PANEL_ROWS = 256;            // the sgemm's inner dimension
    private static final float[] SIGNS_OF_BYTE = new float[256 * 8];   // [byte][bit]: +1 for a 0 bit, -1 for a 1

    static {
        for (int v = 0; v < 256; v++) {
            for (int b = 0; b < 8; b++) SIGNS_OF_BYTE[v * 8 + b] = ((v >>> b) & 1) == 0 ? 1f : -1f;
        }
    }

    private final Gemm gemm;

    @Override
    public Kind kind() { return Kind.DENSE; }

    /** A projection running its GEMMs on a default CpuBackend (OpenBLAS unless -Dperennial.gemm says otherwise). */
    public RandomProjection() {
        this(new CpuBackend());
    }

    public RandomProjection(CpuBackend cpu) {
        this.gemm = cpu.gemm();
    }

    /** x [n, d] -> [n, k] (F32): out[i, c] = Σ_j x[i, j] · R[rowOffset + j, c] with R = RademacherSigns(seed). */
    public Tensor project(Tensor x, long rowOffset, int k, long seed) {
        requireMatrix(x, "x");
        if (k < 0) throw new IllegalArgumentException("negative output dimension " + k);
        Tensor out = Tensor.zeros(DType.F32, x.size(0), k);
        accumulate(x, rowOffset, seed, out);
        return out;
    }

    /**
     * out [n, k] += x [n, d] · R[rowOffset .. rowOffset + d - 1, :] in place; out must be a contiguous F32
     * tensor. Projecting consecutive column ranges of a gradient into the same out (rowOffset = the range's
     * start) gives the projection of the whole gradient.
     */
    @Override
    public void accumulate(Tensor x, long rowOffset, long seed, Tensor out) {
        GradientProjection.checkArguments(x, rowOffset, out);
        int n = x.size(0), d = x.size(1), k = out.size(1);
        if (n == 0 || d == 0 || k == 0) return;
        Tensor xs = dense(x);
        int blocks = (k + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        int panelRows = PANEL_ROWS;
        Parallel.forRows(blocks, (long) n * d * COLUMN_BLOCK, (b0, b1) -> {
            try (Tensor panel = Tensor.empty(DType.F32, panelRows, COLUMN_BLOCK)) {     // [rows, columns] of ±1
                FloatBuffer pf = panel.storage().floats();
                float[] row = new float[COLUMN_BLOCK];
                for (int b = b0; b < b1; b++) {
                    int c0 = b * COLUMN_BLOCK, cw = Math.min(COLUMN_BLOCK, k - c0);
                    for (int j0 = 0; j0 < d; j0 += panelRows) {
                        int rows = Math.min(panelRows, d - j0);
                        for (int q = 0; q < rows; q++) {
                            signs(seed, rowOffset + j0 + q, c0, cw, row);
                            pf.put(q * cw, row, 0, cw);
                        }
                        gemm.sgemm(false, false, n, cw, rows, 1f, xs.storage(), xs.offset() + j0, d,
                                panel.storage(), 0, cw, 1f, out.storage(), out.offset() + c0, k);
                    }
                }
            }
        });
    }

    /** The definition: out[i, c] = Σ_j x[i, j] · sign(seed, rowOffset + j, c) accumulated in double, rounded once. */
    public static Tensor reference(Tensor x, long rowOffset, int k, long seed) {
        requireMatrix(x, "x");
        if (k < 0) throw new IllegalArgumentException("negative output dimension " + k);
        if (rowOffset < 0) throw new IllegalArgumentException("negative rowOffset " + rowOffset);
        int n = x.size(0), d = x.size(1);
        double[] xv = x.toDoubleArray();                                  // [n, d]
        double[] acc = new double[n * k];                                 // [n, k]
        for (int j = 0; j < d; j++) {
            for (int c = 0; c < k; c++) {
                int s = RademacherSigns.sign(seed, rowOffset + j, c);
                for (int i = 0; i < n; i++) acc[i * k + c] += s * xv[i * d + j];
            }
        }
        float[] out = new float[n * k];
        for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
        return Tensor.of(out, n, k);
    }

    /** Rows of x [n, k] scaled to unit L2 norm (norms in double) as a new F32 tensor; a zero row stays zero. */
    public static Tensor normalizeRows(Tensor x) {
        requireMatrix(x, "x");
        int n = x.size(0), k = x.size(1);
        float[] v = dense(x).toFloatArray();
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int c = 0; c < k; c++) ss += (double) v[i * k + c] * v[i * k + c];
            if (ss == 0) continue;
            double inv = 1 / Math.sqrt(ss);
            for (int c = 0; c < k; c++) v[i * k + c] = (float) (v[i * k + c] * inv);
        }
        return Tensor.of(v, n, k);
    }

    // Signs of columns c0 .. c0 + cw - 1 of R's row `row` as ±1 floats; c0 is a multiple of 64.
    private static void signs(long seed, long row, int c0, int cw, float[] out) {
        long key = RademacherSigns.rowKey(seed, row);
        for (int c = 0; c < cw; c += 64) {
            long bits = RademacherSigns.wordBits(key, (c0 + c) >>> 6);
            int m = Math.min(64, cw - c);
            if (m == 64) {
                for (int q = 0; q < 8; q++) {
                    System.arraycopy(SIGNS_OF_BYTE, ((int) (bits >>> (8 * q)) & 0xFF) * 8, out, c + 8 * q, 8);
                }
            } else {
                for (int b = 0; b < m; b++) out[c + b] = ((bits >>> b) & 1L) == 0 ? 1f : -1f;
            }
        }
    }

    private static Tensor dense(Tensor x) {
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + x);
        return x.dtype() == DType.F32 ? x.contiguous() : x.to(DType.F32);
    }

    private static void requireMatrix(Tensor t, String name) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix [rows, cols], got " + Arrays.toString(t.shape()));
        }
    }
}
