/*
 * A block-sparse Johnson–Lindenstrauss projection (Kane and Nelson, "Sparser Johnson–Lindenstrauss Transforms",
 * J. ACM 2014, the block construction): the fast alternative to ADAPT-∞'s dense Rademacher projection
 * (GradientProjection.Kind.SPARSE). The k output coordinates are cut into S = 4 blocks of B = k / S; input
 * coordinate j has exactly one nonzero ±1/√S in each block:
 *
 *   out[i, t·B + b_t(j)] += σ_t(j) · x[i, j] / √S        for t = 0 .. S − 1
 *
 * where h = mix64(mix64(seed ^ SALT) + GAMMA·(j + 1)) (the j+1-th output of SplitMix64, RademacherSigns' hash)
 * and its 16-bit field t gives the bucket b_t(j) = (low 15 bits · B) >>> 15 and the sign σ_t(j) = −1 if bit 15
 * is set, else +1. One hash per input coordinate covers all four nonzeros, so a 10M-coordinate gradient costs 10M
 * hashes and 4 × 10M adds instead of the dense matrix's 8·10^10 multiply-adds. Every column of P has unit norm,
 * so E‖x·P‖² = ‖x‖², and with k = 8192 pairwise distances of a few thousand vectors are kept within a few percent
 * (SparseProjectionTest checks the bound ε = 0.1 and that ADAPT-∞'s clusters agree with the dense projection's).
 *
 * Fast path: one task per block t (so tasks write disjoint columns and each output element sums its inputs in
 * ascending j: the result does not depend on the thread count); inside a task, the buckets and signs of 4096
 * coordinates at a time are computed once and applied to every row of x. reference() is the definition in
 * double with plain loops.
 */
package dev.perennial.select;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;

/**
 * A block-sparse Johnson-Lindenstrauss projection, the fast alternative to the dense Rademacher one: each input
 * coordinate has one nonzero ±1/2 in each of 4 blocks of {@code k / 4} output columns, so {@code accumulate} adds
 * {@code x [n, d]} into {@code out [n, k]} (k divisible by 4) with 4 adds per coordinate; {@code reference} is the
 * double-precision definition.
 * <p>Stateless (no fields); safe to share between threads, with a distinct {@code out} tensor per concurrent call.
 */
public final class SparseProjection implements GradientProjection {
    /** Nonzeros per input coordinate (one per block of k / S output coordinates). */
    public static final int S = 4;
    private static final long SALT = 0x5EA55E5A55E5A55EL;             // keeps P unrelated to the dense R of the same seed
    private static final int CHUNK = 4096;

    @Override
    public Kind kind() { return Kind.SPARSE; }

    /** The hash of input coordinate {@code row}: its four 16-bit fields place the four nonzeros. */
    static long hash(long seedKey, long row) {
        return RademacherSigns.mix64(seedKey + RademacherSigns.GAMMA * (row + 1));
    }

    static long seedKey(long seed) {
        return RademacherSigns.mix64(seed ^ SALT);
    }

    /** Bucket (within its block of {@code blockSize}) of field {@code t} of hash h. */
    static int bucket(long h, int t, int blockSize) {
        int field = (int) (h >>> (16 * t)) & 0x7FFF;
        return (int) (((long) field * blockSize) >>> 15);
    }

    /** True when field t of hash h gives the sign −1. */
    static boolean negative(long h, int t) {
        return ((h >>> (16 * t + 15)) & 1L) != 0;
    }

    private static int blockSize(int k) {
        if (k % S != 0) throw new IllegalArgumentException("the sparse projection needs k divisible by " + S + ", got " + k);
        if (k / S > 32768) throw new IllegalArgumentException("the sparse projection supports k up to " + (S * 32768) + ", got " + k);
        return k / S;
    }

    @Override
    public void accumulate(Tensor x, long rowOffset, long seed, Tensor out) {
        GradientProjection.checkArguments(x, rowOffset, out);
        int n = x.size(0), d = x.size(1), k = out.size(1);
        if (n == 0 || d == 0 || k == 0) return;
        int block = blockSize(k);
        Tensor xs = x.dtype() == DType.F32 ? x.contiguous() : x.to(DType.F32);
        FloatBuffer xf = xs.storage().floats();
        int xOff = xs.offset();
        long key = seedKey(seed);
        float scale = (float) (1 / Math.sqrt(S));
        FloatBuffer of = out.storage().floats();
        int oOff = out.offset();
        Parallel.forRows(S, (long) n * d, (t0, t1) -> {
            int[] buckets = new int[CHUNK];
            float[] signs = new float[CHUNK];
            float[] acc = new float[n * block];                                // this task's block of every row
            float[] xrow = new float[CHUNK];
            for (int t = t0; t < t1; t++) {
                java.util.Arrays.fill(acc, 0f);
                for (int j0 = 0; j0 < d; j0 += CHUNK) {
                    int len = Math.min(CHUNK, d - j0);
                    for (int q = 0; q < len; q++) {
                        long h = hash(key, rowOffset + j0 + q);
                        buckets[q] = bucket(h, t, block);
                        signs[q] = negative(h, t) ? -scale : scale;
                    }
                    for (int i = 0; i < n; i++) {
                        xf.get(xOff + i * d + j0, xrow, 0, len);
                        int ai = i * block;
                        for (int q = 0; q < len; q++) acc[ai + buckets[q]] += signs[q] * xrow[q];
                    }
                }
                for (int i = 0; i < n; i++) {
                    int at = oOff + i * k + t * block;
                    for (int b = 0; b < block; b++) of.put(at + b, of.get(at + b) + acc[i * block + b]);
                }
            }
        });
    }

    /** The definition in double: out[i, c] = Σ_j x[i, j] · P[rowOffset + j, c], rounded to float once. */
    public static Tensor reference(Tensor x, long rowOffset, int k, long seed) {
        int n = x.size(0), d = x.size(1), block = blockSize(k);
        double[] xv = x.toDoubleArray();
        double[] acc = new double[n * k];
        long key = seedKey(seed);
        double scale = 1 / Math.sqrt(S);
        for (int j = 0; j < d; j++) {
            long h = hash(key, rowOffset + j);
            for (int t = 0; t < S; t++) {
                int c = t * block + bucket(h, t, block);
                double v = negative(h, t) ? -scale : scale;
                for (int i = 0; i < n; i++) acc[i * k + c] += v * xv[i * d + j];
            }
        }
        float[] out = new float[n * k];
        for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
        return Tensor.of(out, n, k);
    }
}
