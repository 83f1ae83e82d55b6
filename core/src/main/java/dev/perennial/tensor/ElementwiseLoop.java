/*
 * The CPU iteration plan for element-wise ops: operands broadcast to the output shape (stride 0 on broadcast
 * dims), adjacent dimensions coalesced when every operand allows it, then either one flat range (all operands
 * dense: split across threads by element blocks) or rows of the last coalesced dimension (split by rows).
 * Each run of elements is staged in per-thread float arrays (bulk copies for unit strides, a fill for stride
 * 0), so the op itself is a plain array loop; F16/BF16 operands are widened while staging.
 */
package dev.perennial.tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

final class ElementwiseLoop {
    private ElementwiseLoop() {}

    /**
     * out[j] = f(x[j]) for j < n. Ops hand over a whole array loop rather than a per-element function, so each
     * op's loop is its own compiled code with the arithmetic inlined (a shared loop calling a per-element lambda
     * would be a megamorphic call per element).
     */
    @FunctionalInterface
    interface FloatUnary { void apply(float[] x, float[] out, int n); }

    /** out[j] = f(x[j], y[j]) for j < n (see FloatUnary). */
    @FunctionalInterface
    interface FloatBinary { void apply(float[] x, float[] y, float[] out, int n); }

    private static final int FLAT_BLOCK = 8192;

    /** out = f(in), in broadcast to out's shape; out is a fresh contiguous F32 tensor. */
    static void unary(Tensor in, Tensor out, FloatUnary f) {
        run(new Tensor[]{in}, out, (pos, o, len, st, so, fo) -> {
            float[][] buf = scratch(len);
            float[] a = buf[0], r = buf[2];
            stage(in.storage(), pos[0], st[0], a, len);
            f.apply(a, r, len);
            store(fo, o, so, r, len);
        });
    }

    /** out = f(a, b) with broadcasting; out is a fresh contiguous F32 tensor of the broadcast shape. */
    static void binary(Tensor a, Tensor b, Tensor out, FloatBinary f) {
        run(new Tensor[]{a, b}, out, (pos, o, len, st, so, fo) -> {
            float[][] buf = scratch(len);
            float[] x = buf[0], y = buf[1], r = buf[2];
            stage(a.storage(), pos[0], st[0], x, len);
            stage(b.storage(), pos[1], st[1], y, len);
            f.apply(x, y, r, len);
            store(fo, o, so, r, len);
        });
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][FLAT_BLOCK]);

    /** Three per-thread arrays of at least len floats. */
    private static float[][] scratch(int len) {
        float[][] buf = SCRATCH.get();
        if (buf[0].length < len) {
            buf = new float[3][len];
            SCRATCH.set(buf);
        }
        return buf;
    }

    /** Copies len elements (stride st, widened to float) from storage position p into dst. */
    private static void stage(Storage s, int p, int st, float[] dst, int len) {
        if (st == 0) {
            Arrays.fill(dst, 0, len, s.getFloat(p));
        } else if (s.dtype() == DType.F32) {
            FloatBuffer f = s.floats();
            if (st == 1) f.get(p, dst, 0, len);
            else for (int j = 0; j < len; j++) dst[j] = f.get(p + j * st);
        } else if (s.dtype() == DType.BF16 || s.dtype() == DType.F16) {
            // one buffer view for the run (Storage.getFloat makes one per element): a BF16 model's biases and norm
            // weights meet float activations in every layer
            java.nio.ShortBuffer h = s.shorts();
            if (s.dtype() == DType.BF16) for (int j = 0; j < len; j++) dst[j] = Half.bf16ToFloat(h.get(p + j * st));
            else for (int j = 0; j < len; j++) dst[j] = Half.f16ToFloat(h.get(p + j * st));
        } else {
            for (int j = 0; j < len; j++) dst[j] = s.getFloat(p + j * st);
        }
    }

    private static void store(FloatBuffer out, int o, int so, float[] src, int len) {
        if (so == 1) out.put(o, src, 0, len);
        else for (int j = 0; j < len; j++) out.put(o + j * so, src[j]);
    }

    /** Processes one run of {@code len} elements: input positions/strides, output position/stride. */
    private interface Segment {
        void run(int[] inPos, int outPos, int len, int[] inStride, int outStride, FloatBuffer out);
    }

    private static void run(Tensor[] ins, Tensor out, Segment seg) {
        int[] shape = out.shape();
        long numel = Shapes.numel(shape);
        if (numel == 0) return;
        int k = ins.length;
        int[][] strides = new int[k + 1][];
        for (int i = 0; i < k; i++) strides[i] = broadcastStrides(ins[i], shape);
        strides[k] = out.strides();
        // coalesce dims d-1 and d when, for every operand, stride[d-1] == stride[d] * shape[d]
        int[] cs = shape.clone();
        int[][] cst = new int[k + 1][];
        for (int i = 0; i <= k; i++) cst[i] = strides[i].clone();
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;                      // size-1 dims never matter
            boolean merge = rank > 0;
            for (int i = 0; merge && i <= k; i++) merge = cst[i][rank - 1] == cst[i][d] * shape[d];
            if (merge) {
                cs[rank - 1] *= shape[d];
                for (int i = 0; i <= k; i++) cst[i][rank - 1] = cst[i][d];
            } else {
                cs[rank] = shape[d];
                for (int i = 0; i <= k; i++) cst[i][rank] = cst[i][d];
                rank++;
            }
        }
        FloatBuffer fo = out.storage().floats();
        int[] base = new int[k + 1];
        for (int i = 0; i < k; i++) base[i] = ins[i].offset();
        base[k] = out.offset();
        if (rank <= 1) {                                      // one flat run: split into blocks
            int n = (int) numel;
            int[] st = new int[k];
            for (int i = 0; i < k; i++) st[i] = rank == 0 ? 0 : cst[i][0];
            int so = rank == 0 ? 1 : cst[k][0];
            int blocks = (n + FLAT_BLOCK - 1) / FLAT_BLOCK;
            Parallel.forRows(blocks, FLAT_BLOCK, (b0, b1) -> {
                int start = b0 * FLAT_BLOCK, end = Math.min(n, b1 * FLAT_BLOCK);
                int[] pos = new int[k];
                for (int i = 0; i < k; i++) pos[i] = base[i] + start * st[i];
                seg.run(pos, base[k] + start * so, end - start, st, so, fo);
            });
            return;
        }
        final int crank = rank;
        int[] rshape = Arrays.copyOf(cs, crank);
        int inner = rshape[crank - 1];
        int rows = (int) (numel / inner);
        int[] innerStride = new int[k];
        for (int i = 0; i < k; i++) innerStride[i] = cst[i][crank - 1];
        int outStride = cst[k][crank - 1];
        Parallel.forRows(rows, inner, (r0, r1) -> {
            StridedLoop.RowCursor[] cur = new StridedLoop.RowCursor[k + 1];
            for (int i = 0; i <= k; i++) cur[i] = new StridedLoop.RowCursor(rshape, Arrays.copyOf(cst[i], crank), base[i], r0);
            int[] pos = new int[k];
            for (int r = r0; r < r1; r++) {
                for (int i = 0; i < k; i++) pos[i] = cur[i].position();
                seg.run(pos, cur[k].position(), inner, innerStride, outStride, fo);
                for (int i = 0; i <= k; i++) cur[i].next();
            }
        });
    }

    /** Strides of {@code t} broadcast to {@code shape}: 0 on new or size-1 dims that are expanded. */
    static int[] broadcastStrides(Tensor t, int[] shape) {
        int[] ts = t.shape(), tst = t.strides();
        int lead = shape.length - ts.length;
        if (lead < 0) throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(ts) + " to " + Arrays.toString(shape));
        int[] r = new int[shape.length];
        for (int d = 0; d < ts.length; d++) {
            if (ts[d] == shape[d + lead]) r[d + lead] = tst[d];
            else if (ts[d] == 1) r[d + lead] = 0;
            else throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(ts) + " to " + Arrays.toString(shape));
        }
        return r;
    }
}
