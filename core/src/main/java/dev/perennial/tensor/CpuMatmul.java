/*
 * Plans a batched matrix product onto row-major sgemm calls without hidden copies:
 *  - each operand's last two dims are read in place when they form a row-major (NoTrans) or column-major
 *    (Trans) matrix with a valid leading dimension; only other layouts are copied (a non-BLAS view);
 *  - a 2-D right operand against a dense batched left operand folds the batch into M (one large GEMM, the
 *    shape of every linear layer on [B, T, D] activations);
 *  - other batches loop over broadcast batch indices (attention: [B, H, T, hd] x [B, H, hd, T]);
 *  - an F16/BF16 right operand (a weight kept in checkpoint precision) is widened one tile (~1 MB) at a time
 *    and multiplied tile by tile, so a weight matrix is never up-cast whole;
 *  - a one-row product against a weight read as Wᵀ (a decode step: x [1, k] · W [n, k]ᵀ) goes to the native
 *    CpuKernels.gemv when perennial-native provides it, in any storage precision, rows split across Parallel's
 *    threads (docs/performance.md, "Decode kernels");
 *  - a product of 16 or more rows against a BF16 weight, read as Wᵀ (prefill, training forward) or as W (the input
 *    gradient dy·W), goes to the native CpuKernels.gemmBf16 when it exists (AMX tiles; x rounded to bfloat16 once,
 *    float32 accumulation), columns split across threads (docs/kernels.md, "BF16 products on AMX tiles").
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

final class CpuMatmul {
    private static final int TILE_ELEMENTS = 1 << 20;     // floats per widened weight tile (4 MB)
    private final Gemm gemm;

    CpuMatmul(Gemm gemm) {
        this.gemm = gemm;
    }

    /** How an operand's last two dims map onto BLAS: transposed or not, and the leading dimension. */
    private record Layout(boolean trans, int ld) {}

    /** Layout of the [rows, cols] matrix formed by the last two dims, or null if BLAS cannot read it. */
    private static Layout layout(Tensor t) {
        int rows = t.size(-2), cols = t.size(-1), sr = t.stride(-2), sc = t.stride(-1);
        if ((cols <= 1 || sc == 1) && (rows <= 1 || sr >= Math.max(1, cols))) {
            return new Layout(false, rows <= 1 ? Math.max(1, cols) : sr);
        }
        if ((rows <= 1 || sr == 1) && (cols <= 1 || sc >= Math.max(1, rows))) {
            return new Layout(true, cols <= 1 ? Math.max(1, rows) : sc);
        }
        return null;
    }

    Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, shape -> Tensor.empty(DType.F32, shape));
    }

    /** As matmul(a, b), the F32 result allocated by {@code output} (given its shape; contents are overwritten). */
    Tensor matmul(Tensor a, Tensor b, java.util.function.Function<int[], Tensor> output) {
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2 operands");
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        }
        if (!a.dtype().isFloating() || !b.dtype().isFloating()) throw new IllegalArgumentException("matmul of non-float tensors");
        if (a.dtype() != DType.F32) a = a.to(DType.F32);                 // activations: widen (small)
        if (b.dtype() != DType.F32 && b.dtype() != DType.F16 && b.dtype() != DType.BF16) b = b.to(DType.F32);
        int[] aBatch = Arrays.copyOf(a.shape(), a.rank() - 2), bBatch = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shapes.broadcast(aBatch, bBatch);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        if (m == 0 || n == 0 || k == 0 || Shapes.numel(outShape) == 0) return Tensor.zeros(DType.F32, outShape);
        Tensor c = output.apply(outShape);                   // every element is written with beta = 0

        Layout la = layout(a);
        if (la == null) { a = a.contiguous(); la = layout(a); }
        Layout lb = layout(b);
        if (lb == null) { b = b.contiguous(); lb = layout(b); }

        int batches = (int) Shapes.numel(batch);
        if (bBatch.length == 0 && !la.trans && foldable(a, la.ld)) {    // [..., M, K] x [K, N]: one GEMM
            product(false, batches * m, n, k, a, a.offset(), la.ld, b, b.offset(), lb, c, 0, n);
            return c;
        }
        int[] batchA = batchStrides(a, batch), batchB = batchStrides(b, batch);
        StridedLoop.RowCursor ca = cursor(batch, batchA, a.offset()), cb = cursor(batch, batchB, b.offset());
        for (int i = 0; i < batches; i++) {
            product(la.trans, m, n, k, a, ca.position(), la.ld, b, cb.position(), lb, c, i * m * n, n);
            ca.next();
            cb.next();
        }
        return c;
    }

    /** True when the batch dims of a (row-major, leading dim ld) are laid out so that all rows stack densely. */
    private static boolean foldable(Tensor a, int ld) {
        int expected = a.size(-2) * ld;
        for (int d = a.rank() - 3; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) return false;
            expected *= a.size(d);
        }
        return true;
    }

    /** Per-batch-dim strides of t's batch dims broadcast to {@code batch} (0 on broadcast dims). */
    private static int[] batchStrides(Tensor t, int[] batch) {
        int[] s = new int[batch.length];
        int lead = batch.length - (t.rank() - 2);
        for (int d = 0; d < t.rank() - 2; d++) s[d + lead] = t.size(d) == 1 ? 0 : t.stride(d);
        return s;
    }

    /** Walks batch offsets: a RowCursor over batch dims plus a dummy unit last dim. */
    private static StridedLoop.RowCursor cursor(int[] batch, int[] strides, int offset) {
        int[] shape = Arrays.copyOf(batch, batch.length + 1);
        shape[batch.length] = 1;
        return new StridedLoop.RowCursor(shape, Arrays.copyOf(strides, strides.length + 1), offset, 0);
    }

    /** C[m, n] (at cOff, ldc) = op(A) x B, with B in F32 (direct) or F16/BF16 (tiled widening). */
    private void product(boolean transA, int m, int n, int k, Tensor a, int aOff, int lda,
                         Tensor b, int bOff, Layout lb, Tensor c, int cOff, int ldc) {
        Storage sa = a.storage(), sb = b.storage(), sc = c.storage();
        if (m == 1 && lb.trans && !transA && matVec(n, k, sa, aOff, sb, bOff, lb.ld, b.dtype(), sc, cOff)) return;
        if (b.dtype() == DType.F32) {
            gemm.sgemm(transA, lb.trans, m, n, k, 1f, sa, aOff, lda, sb, bOff, lb.ld, 0f, sc, cOff, ldc);
            return;
        }
        boolean bf16 = b.dtype() == DType.BF16;
        if (bf16 && !transA && m >= BF16_TILE_ROWS && bf16Tiles(lb.trans, m, n, k, sa, aOff, lda, sb, bOff, lb.ld, sc, cOff, ldc)) return;
        ShortBuffer bits = sb.shorts();
        if (lb.trans) {
            // B = Wᵀ with W [n, k] stored row-major (ld = lb.ld): widen blocks of W rows, C[:, n0:n1] = A x blockᵀ
            int rowsPerTile = Math.max(1, Math.min(n, TILE_ELEMENTS / Math.max(1, k)));
            try (Tensor tile = Tensor.zeros(DType.F32, rowsPerTile * k)) {
                for (int n0 = 0; n0 < n; n0 += rowsPerTile) {
                    int nb = Math.min(rowsPerTile, n - n0);
                    widen(bits, bf16, bOff + n0 * lb.ld, nb, k, lb.ld, tile.storage().floats());
                    gemm.sgemm(transA, true, m, nb, k, 1f, sa, aOff, lda, tile.storage(), 0, k, 0f, sc, cOff + n0, ldc);
                }
            }
        } else {
            // B [k, n] row-major: widen blocks of B rows and accumulate C += A[:, k0:k1] x block
            int rowsPerTile = Math.max(1, Math.min(k, TILE_ELEMENTS / Math.max(1, n)));
            try (Tensor tile = Tensor.zeros(DType.F32, rowsPerTile * n)) {
                for (int k0 = 0; k0 < k; k0 += rowsPerTile) {
                    int kb = Math.min(rowsPerTile, k - k0);
                    widen(bits, bf16, bOff + k0 * lb.ld, kb, n, lb.ld, tile.storage().floats());
                    int aAt = transA ? aOff + k0 * lda : aOff + k0;
                    gemm.sgemm(transA, false, m, n, kb, 1f, sa, aAt, lda, tile.storage(), 0, n, k0 == 0 ? 0f : 1f,
                            sc, cOff, ldc);
                }
            }
        }
    }

    /** Rows of x from which a BF16 product goes to the tile kernel (fewer: the one-row kernel or widening is as fast). */
    private static final int BF16_TILE_ROWS = 16;

    /**
     * C [m, n] = A [m, k] · B with B = Wᵀ (W [n, k], {@code wTrans}) or B = W [k, n] in BF16, through the native tile
     * kernel (CpuKernels.gemmBf16, AMX where the CPU has it): A is rounded to bfloat16 once, products accumulate in
     * float32. Columns split across Parallel's threads in multiples of the kernel's 32-column panels. False without
     * such a kernel.
     */
    private static boolean bf16Tiles(boolean wTrans, int m, int n, int k, Storage a, int aOff, int lda, Storage w, int wOff, int ldw,
                                     Storage c, int cOff, int ldc) {
        CpuKernels kernels = CpuKernels.available();
        if (kernels == null || !kernels.hasBf16Gemm()) return false;
        long xa = a.address() + 4L * aOff, wa = w.address() + 2L * wOff, ya = c.address() + 4L * cOff;
        int panels = (n + 31) / 32;
        if (Parallel.threads() == 1 || Parallel.inParallelLoop() || panels == 1) {
            return kernels.gemmBf16(wTrans, xa, lda, wa, ldw, ya, ldc, m, k, 0, n);
        }
        boolean[] ok = {true};
        Parallel.forRows(panels, 64L * m * k, (p0, p1) -> {
            if (!kernels.gemmBf16(wTrans, xa, lda, wa, ldw, ya, ldc, m, k, 32 * p0, Math.min(n, 32 * p1))) ok[0] = false;
        });
        if (!ok[0]) throw new IllegalStateException(kernels.name() + " refused BF16 columns after accepting others");
        return true;
    }

    /**
     * SharedInputProducts on the CPU: when x holds one row and every b is a weight read as Wᵀ that the native one-row
     * kernel takes, the rows of all the products are split across Parallel's threads as one job (the same kernel per
     * row as matmul, so the same values); otherwise one matmul per b.
     */
    Tensor[] shared(Tensor x, Tensor... bs) {
        Tensor[] out = new Tensor[bs.length];
        CpuKernels kernels = CpuKernels.available();
        boolean oneJob = kernels != null && x.dtype() == DType.F32 && x.size(-1) > 0 && x.numel() == x.size(-1) && x.stride(-1) == 1
                && bs.length > 1 && Parallel.threads() > 1 && !Parallel.inParallelLoop();
        int k = x.size(-1);
        for (Tensor b : bs) {
            if (!oneJob) break;
            Layout lb = b.rank() == 2 ? layout(b) : null;
            oneJob = lb != null && lb.trans && b.size(0) == k && b.size(1) > 0 && kernels.gemv(b.dtype(), 0, 0, 0, 0, 0, 0, k)
                    && (b.dtype() == DType.F32 || b.dtype() == DType.BF16 || b.dtype() == DType.F16);
        }
        if (!oneJob) {
            for (int i = 0; i < bs.length; i++) out[i] = matmul(x, bs[i]);
            return out;
        }
        // blocks of rows (multiples of the kernel's 4-row step) over all products, numbered product by product
        int[] first = new int[bs.length + 1], rows = new int[bs.length];
        long[] wa = new long[bs.length], ld = new long[bs.length], ya = new long[bs.length];
        int[] outShape = x.shape().clone();
        long xa = x.storage().address() + 4L * x.offset();
        for (int i = 0; i < bs.length; i++) {
            Tensor b = bs[i];
            int n = b.size(1);
            outShape[outShape.length - 1] = n;
            out[i] = Tensor.empty(DType.F32, outShape.clone());
            rows[i] = ((n + 4 * Parallel.threads() - 1) / (4 * Parallel.threads()) + 3) & ~3;
            first[i + 1] = first[i] + (n + rows[i] - 1) / rows[i];
            wa[i] = b.storage().address() + (long) b.offset() * b.dtype().byteSize();
            ld[i] = layout(b).ld;
            ya[i] = out[i].storage().address();
        }
        boolean[] ok = {true};
        Parallel.forRows(first[bs.length], (long) rows[0] * k, (b0, b1) -> {
            for (int blk = b0; blk < b1; blk++) {
                int i = 0;
                while (blk >= first[i + 1]) i++;
                int n = bs[i].size(1), r0 = (blk - first[i]) * rows[i];
                if (!kernels.gemv(bs[i].dtype(), wa[i], ld[i], xa, ya[i], r0, Math.min(n, r0 + rows[i]), k)) ok[0] = false;
            }
        });
        if (!ok[0]) throw new IllegalStateException(kernels.name() + " refused a product it accepted for other rows");
        return out;
    }

    /** Rows below which a one-row product runs on one thread (a [768, 768] product streams 2.4 MB in ≈ 0.1 ms). */
    private static final int MATVEC_SPLIT_ROWS = 256;

    /** y [n] = W [n, k] · x [k] through the native kernel, rows split across threads; false without one. */
    private static boolean matVec(int n, int k, Storage x, int xOff, Storage w, int wOff, int ld, DType wType, Storage y, int yOff) {
        CpuKernels kernels = CpuKernels.available();
        if (kernels == null) return false;
        long wa = w.address() + (long) wOff * wType.byteSize(), xa = x.address() + 4L * xOff, ya = y.address() + 4L * yOff;
        if (!kernels.gemv(wType, wa, ld, xa, ya, 0, 0, k)) return false;     // an empty range asks: this dtype?
        if (n < MATVEC_SPLIT_ROWS || Parallel.threads() == 1 || Parallel.inParallelLoop()) {
            return kernels.gemv(wType, wa, ld, xa, ya, 0, n, k);
        }
        int blocks = 4 * Parallel.threads();
        int rows = ((n + blocks - 1) / blocks + 3) & ~3;                     // multiples of the kernel's 4-row step
        boolean[] ok = {true};
        Parallel.forRows((n + rows - 1) / rows, (long) rows * k, (b0, b1) -> {
            if (!kernels.gemv(wType, wa, ld, xa, ya, b0 * rows, Math.min(n, b1 * rows), k)) ok[0] = false;
        });
        if (!ok[0]) throw new IllegalStateException(kernels.name() + " refused a product it accepted for other rows");
        return true;
    }

    /** Widens {@code rows} rows of {@code cols} 16-bit floats (row stride ld) into a dense float tile. */
    private static void widen(ShortBuffer bits, boolean bf16, int start, int rows, int cols, int ld, FloatBuffer tile) {
        Parallel.forRows(rows, cols, (r0, r1) -> {
            short[] in = new short[cols];        // bulk copies through arrays: plain loops the JIT vectorises
            float[] out = new float[cols];
            for (int r = r0; r < r1; r++) {
                bits.get(start + r * ld, in, 0, cols);
                if (bf16) {
                    for (int j = 0; j < cols; j++) out[j] = Float.intBitsToFloat((in[j] & 0xffff) << 16);
                } else {
                    for (int j = 0; j < cols; j++) out[j] = Half.f16ToFloat(in[j]);
                }
                tile.put(r * cols, out, 0, cols);
            }
        });
    }
}
