/*
 * target += grad for a gradient buffer view, with possibly overlapping target positions (a stride-0 expanded
 * view sums every contribution into its one element, so the loop is sequential per target). The dims are first
 * reordered so the target is walked in storage order, which makes the common case (a transposed weight's
 * gradient into the weight's buffer) a dense sweep.
 */
package dev.perennial.autograd;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.StridedLoop;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Comparator;

final class GradAccumulation {
    private GradAccumulation() {}

    static void add(Tensor target, Tensor grad) {
        int rank = target.rank();
        Integer[] order = new Integer[rank];
        for (int i = 0; i < rank; i++) order[i] = i;
        int[] ts = target.strides();
        Arrays.sort(order, Comparator.comparingInt((Integer d) -> -Math.abs(ts[d])));   // largest stride first
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) perm[i] = order[i];
        Tensor t = target.permute(perm);
        float[] g = grad.permute(perm).toFloatArray();                                   // row-major in t's order
        if (grad.dtype() != DType.F32 && !grad.dtype().isFloating()) throw new IllegalArgumentException("integer gradient");
        FloatBuffer buf = t.storage().floats();
        if (t.isContiguous()) {
            int off = t.offset();
            for (int i = 0; i < g.length; i++) buf.put(off + i, buf.get(off + i) + g[i]);
            return;
        }
        int[] i = {0};
        StridedLoop.forEachIndex(t.shape(), t.strides(), t.offset(), pos -> buf.put(pos, buf.get(pos) + g[i[0]++]));
    }
}
