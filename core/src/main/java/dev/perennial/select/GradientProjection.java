/*
 * How ADAPT-∞'s per-sample gradients g [n, d] become k-dimensional sample vectors (docs/methods/adapt-inf.md
 * §2.4; docs/architecture.md, "ADAPT-∞ selection"): out [n, k] += g · P[rowOffset .. rowOffset + d − 1, :] for a seeded random matrix P
 * that is generated on the fly, never stored, so a gradient can be projected in consecutive column ranges
 * (rowOffset) that add up to the projection of the whole.
 *
 *   DENSE   the paper's Rademacher matrix R ∈ {±1}^{d×k} (RandomProjection): d·k multiply-adds per sample,
 *           ≈ 2 s for a 10M-coordinate gradient at k = 8192 on this project's machine. The faithful default.
 *   SPARSE  a block-sparse Johnson–Lindenstrauss matrix with s = 4 nonzeros ±1/√s per row (SparseProjection):
 *           s·d adds per sample, for users who score large pools; the vectors differ from DENSE's, distances and
 *           clusters are preserved (SparseProjectionTest).
 */
package dev.perennial.select;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * How per-sample gradients become k-dimensional sample vectors: {@code accumulate} adds {@code x [n, d]} times rows
 * {@code rowOffset .. rowOffset + d - 1} of a seeded random matrix into {@code out [n, k]} in place, so a gradient can
 * be projected range by range. {@code DENSE} is the Rademacher matrix ({@code RandomProjection} or a backend kernel),
 * {@code SPARSE} a block-sparse Johnson-Lindenstrauss one.
 * <p>Thread-safety is the implementation's; {@code RandomProjection} and {@code SparseProjection} are safe to share,
 * with a distinct {@code out} tensor per concurrent call.
 */
public interface GradientProjection {
    /** The two matrices a user can choose. */
    enum Kind {
        DENSE, SPARSE;

        /**
         * The projection of this kind on {@code be}: DENSE is the op RADEMACHER (a backend's kernel, else the CPU
         * GEMM path of RandomProjection); SPARSE runs on the host.
         */
        public GradientProjection create(Backend be) {
            return this == DENSE ? RADEMACHER.on(be) : new SparseProjection();
        }
    }

    /**
     * The dense Rademacher projection as an op (docs/architecture.md, "Ops with a home"): CudaBackend registers
     * the random_projection kernel; elsewhere RandomProjection multiplies on the backend's GEMM if it is a
     * CpuBackend, else on a CpuBackend of its own.
     */
    Op<GradientProjection> RADEMACHER = Op.declare("rademacherProject", GradientProjection.class,
            be -> new RandomProjection(be instanceof CpuBackend cpu ? cpu : new CpuBackend()));

    Kind kind();

    /**
     * out [n, k] += x [n, d] · P[rowOffset .. rowOffset + d − 1, :] in place (out a contiguous F32 tensor).
     */
    void accumulate(Tensor x, long rowOffset, long seed, Tensor out);

    /** The argument checks every accumulate() makes: x and out matrices, rowOffset ≥ 0, out a contiguous F32 [n, k]. */
    static void checkArguments(Tensor x, long rowOffset, Tensor out) {
        for (Tensor t : new Tensor[]{x, out}) {
            if (t.rank() != 2) {
                throw new IllegalArgumentException((t == x ? "x" : "out") + " must be a matrix [rows, cols], got "
                        + java.util.Arrays.toString(t.shape()));
            }
        }
        if (rowOffset < 0) throw new IllegalArgumentException("negative rowOffset " + rowOffset);
        if (out.size(0) != x.size(0) || out.dtype() != dev.perennial.tensor.DType.F32 || !out.isContiguous()) {
            throw new IllegalArgumentException("out must be a contiguous F32 [" + x.size(0) + ", k] tensor, got " + out);
        }
    }
}
