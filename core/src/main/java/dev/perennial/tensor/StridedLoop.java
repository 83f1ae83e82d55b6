/*
 * Row-major iteration over the storage positions of a strided tensor.
 *
 * All strided code in the CPU backends goes through here: the outer dimensions are walked with an odometer
 * (one update per row), the last dimension is a plain loop with its stride. This handles transposed, narrowed
 * and expanded (stride-0) views without materialising them.
 */
package dev.perennial.tensor;

/**
 * Row-major iteration over the storage positions (in elements) of a strided view: {@code forEachIndex} visits every
 * element, and {@link RowCursor} walks the first position of each row, so parallel workers can each take a range of
 * rows.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state); a {@code RowCursor}
 * is mutable and belongs to one thread.
 */
public final class StridedLoop {
    private StridedLoop() {}

    /** Receives one storage position at a time. */
    @FunctionalInterface
    public interface PositionConsumer {
        void accept(int position);
    }

    /** Visits the storage position of every element of a strided view in row-major order. */
    public static void forEachIndex(int[] shape, int[] strides, int offset, PositionConsumer f) {
        if (Shapes.numel(shape) == 0) return;
        if (shape.length == 0) {
            f.accept(offset);
            return;
        }
        int last = shape.length - 1;
        int n = shape[last], s = strides[last];
        int rows = (int) (Shapes.numel(shape) / n);
        RowCursor rc = new RowCursor(shape, strides, offset, 0);
        for (int r = 0; r < rows; r++) {
            int base = rc.position();
            for (int j = 0; j < n; j++) f.accept(base + j * s);
            rc.next();
        }
    }

    /** Element-wise copy with dtype conversion between two strided views of the same shape. */
    static void copy(int[] shape, Storage in, int[] inStrides, int inOffset, Storage out, int[] outStrides, int outOffset) {
        if (Shapes.numel(shape) == 0) return;
        if (shape.length == 0) {
            copyElement(in, inOffset, out, outOffset);
            return;
        }
        int last = shape.length - 1;
        int n = shape[last];
        int si = inStrides[last], so = outStrides[last];
        int rows = (int) (Shapes.numel(shape) / n);
        RowCursor a = new RowCursor(shape, inStrides, inOffset, 0);
        RowCursor b = new RowCursor(shape, outStrides, outOffset, 0);
        boolean f32 = in.dtype() == DType.F32 && out.dtype() == DType.F32;
        // float32 <-> F16/BF16 rows with unit strides (a half-precision KV cache's writes and reads) go through
        // bulk array copies: the per-element path costs ≈ 10× as much per element
        boolean widen = si == 1 && so == 1 && isHalf(in.dtype()) && out.dtype() == DType.F32;
        boolean narrow = si == 1 && so == 1 && in.dtype() == DType.F32 && isHalf(out.dtype());
        float[] fb = widen || narrow ? new float[n] : null;
        short[] hb = widen || narrow ? new short[n] : null;
        for (int r = 0; r < rows; r++) {
            int pa = a.position(), pb = b.position();
            if (f32) {
                var fi = in.floats();
                var fo = out.floats();
                for (int j = 0; j < n; j++) fo.put(pb + j * so, fi.get(pa + j * si));
            } else if (narrow) {
                in.floats().get(pa, fb, 0, n);
                if (out.dtype() == DType.BF16) for (int j = 0; j < n; j++) hb[j] = Half.floatToBf16(fb[j]);
                else for (int j = 0; j < n; j++) hb[j] = Half.floatToF16(fb[j]);
                out.shorts().put(pb, hb, 0, n);
            } else if (widen) {
                in.shorts().get(pa, hb, 0, n);
                if (in.dtype() == DType.BF16) for (int j = 0; j < n; j++) fb[j] = Half.bf16ToFloat(hb[j]);
                else for (int j = 0; j < n; j++) fb[j] = Half.f16ToFloat(hb[j]);
                out.floats().put(pb, fb, 0, n);
            } else {
                for (int j = 0; j < n; j++) copyElement(in, pa + j * si, out, pb + j * so);
            }
            a.next();
            b.next();
        }
    }

    private static boolean isHalf(DType t) { return t == DType.BF16 || t == DType.F16; }

    private static void copyElement(Storage in, int i, Storage out, int o) {
        if (in.dtype().isFloating() || out.dtype().isFloating()) {
            if (in.dtype() == DType.F64 || out.dtype() == DType.F64) out.setDouble(o, in.getDouble(i));
            else out.setFloat(o, in.getFloat(i));
        } else {
            out.setLong(o, in.getLong(i));
        }
    }

    /**
     * Storage position of the first element of each row (all dims but the last) of a strided view, walked in
     * row-major order. Can start at any row, so parallel workers each take a range of rows.
     */
    public static final class RowCursor {
        private final int[] shape;
        private final int[] strides;
        private final int[] counter;
        private int position;

        /**
         * @param shape   logical shape (the last dimension is the row)
         * @param strides strides to walk with (may be broadcast strides of another shape, e.g. 0)
         * @param offset  storage position of element 0
         * @param startRow first row to visit
         */
        public RowCursor(int[] shape, int[] strides, int offset, int startRow) {
            int outer = Math.max(0, shape.length - 1);
            this.shape = shape;
            this.strides = strides;
            this.counter = new int[outer];
            int pos = offset, rem = startRow;
            for (int d = outer - 1; d >= 0; d--) {
                int size = shape[d];
                counter[d] = size == 0 ? 0 : rem % size;
                rem = size == 0 ? 0 : rem / size;
                pos += counter[d] * strides[d];
            }
            this.position = pos;
        }

        public int position() { return position; }

        /** Advances to the next row. */
        public void next() {
            for (int d = counter.length - 1; d >= 0; d--) {
                position += strides[d];
                if (++counter[d] < shape[d]) return;
                position -= strides[d] * shape[d];
                counter[d] = 0;
            }
        }
    }
}
