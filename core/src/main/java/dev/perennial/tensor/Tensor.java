/*
 * A strided, row-major n-dimensional view over a Storage.
 *
 * Shape, strides and offset are in elements. Views (reshape of contiguous data, transpose, permute, narrow,
 * select, expand, unsqueeze, squeeze) share the storage and never copy; contiguous() and to() copy.
 * Expanded dimensions have stride 0. The dtype is the storage's: weights may stay F16/BF16 (backends widen them
 * where they are read), activations are F32, ids are I64/I32.
 *
 * Tensors do not know a backend: operations live in Backend implementations (docs/architecture.md, "Backends").
 * close() frees the storage (and so invalidates every view sharing it); unreachable storage is freed by JavaCPP.
 */
package dev.perennial.tensor;

import java.util.Arrays;

/**
 * A strided, row-major n-dimensional view over a {@link Storage}: shape, strides and offset count elements, the dtype
 * is the storage's (F32 activations, F16/BF16 weights, I64/I32 ids). Views ({@code reshape}, {@code transpose},
 * {@code narrow}, {@code select}, ...) share the storage; {@code to()} copies, and {@code contiguous()} copies unless the
 * view already is contiguous (then it returns itself). Operations live in {@link Backend}.
 * <p>Not thread-safe for writes: the view's shape, strides and offset are final and only copies are returned, but the
 * elements are unsynchronized memory. Several threads may read the same tensor (inference shares the read-only weights
 * this way); writes ({@code setFloat}, {@code copyFrom}, ...) and {@code close()} need external synchronization.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    private Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------------------------------------- creation

    /** A view of {@code storage}; bounds are checked against the storage length. */
    public static Tensor view(Storage storage, int[] shape, int[] strides, int offset) {
        int[] sh = shape.clone();
        int[] st = strides.clone();
        if (sh.length != st.length) throw new IllegalArgumentException("shape and strides differ in rank");
        long lo = offset, hi = offset;
        boolean empty = false;
        for (int d = 0; d < sh.length; d++) {
            if (sh[d] < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(sh));
            if (sh[d] == 0) empty = true;
            long span = (long) (sh[d] - 1) * st[d];
            if (span < 0) lo += span; else hi += span;
        }
        if (!empty && (lo < 0 || hi >= storage.length())) {
            throw new IllegalArgumentException("view " + Arrays.toString(sh) + " strides " + Arrays.toString(st)
                    + " offset " + offset + " reaches outside a storage of " + storage.length() + " elements");
        }
        return new Tensor(storage, sh, st, offset);
    }

    /** A contiguous tensor over the whole storage. */
    public static Tensor of(Storage storage, int... shape) {
        long n = Shapes.numel(shape);
        if (n != storage.length()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, storage has " + storage.length());
        }
        return new Tensor(storage, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Zero-filled contiguous tensor. */
    public static Tensor zeros(DType dtype, int... shape) {
        return of(Storage.allocate(dtype, Shapes.numel(shape), shape), shape);
    }

    public static Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    /** Contiguous tensor with unspecified contents, for results that are about to be overwritten entirely. */
    public static Tensor empty(DType dtype, int... shape) {
        return of(Storage.allocateUninitialized(dtype, Shapes.numel(shape), shape), shape);
    }

    /** A float32 tensor holding a copy of {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        Tensor t = zeros(DType.F32, checkLength(data.length, shape));
        t.storage.floats().put(0, data);
        return t;
    }

    /** An int64 tensor holding a copy of {@code data}. */
    public static Tensor ofLongs(long[] data, int... shape) {
        Tensor t = zeros(DType.I64, checkLength(data.length, shape));
        t.storage.longs().put(0, data);
        return t;
    }

    /** An int32 tensor holding a copy of {@code data}. */
    public static Tensor ofInts(int[] data, int... shape) {
        Tensor t = zeros(DType.I32, checkLength(data.length, shape));
        t.storage.ints().put(0, data);
        return t;
    }

    /** A rank-0 float32 tensor. */
    public static Tensor scalar(float v) { return of(new float[]{v}); }

    private static int[] checkLength(int n, int[] shape) {
        if (Shapes.numel(shape) != n) {
            throw new IllegalArgumentException(n + " values do not fill shape " + Arrays.toString(shape));
        }
        return shape;
    }

    // ---------------------------------------------------------------------------------------------- accessors

    public Storage storage() { return storage; }
    public DType dtype() { return storage.dtype(); }
    public int rank() { return shape.length; }
    public int[] shape() { return shape.clone(); }
    public int[] strides() { return strides.clone(); }
    public int offset() { return offset; }

    /** Size of dimension {@code dim}; negative dims count from the end. */
    public int size(int dim) { return shape[Shapes.dim(dim, shape.length)]; }

    public int stride(int dim) { return strides[Shapes.dim(dim, shape.length)]; }

    public long numel() { return Shapes.numel(shape); }

    /** True when the elements are laid out row-major without gaps starting at offset(). */
    public boolean isContiguous() {
        if (numel() == 0) return true;
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------- views

    /**
     * Same elements, new shape (one dimension may be -1). A view when the layout allows it (always for
     * contiguous tensors), otherwise a contiguous copy.
     */
    public Tensor reshape(int... newShape) {
        int[] ns = Shapes.inferReshape(newShape, numel());
        if (isContiguous()) return new Tensor(storage, ns, Shapes.contiguousStrides(ns), offset);
        return contiguous().reshape(ns);
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int d0, int d1) {
        int a = Shapes.dim(d0, rank()), b = Shapes.dim(d1, rank());
        int[] perm = new int[rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** Reorders dimensions: result dim i is this tensor's dim perm[i] (a view). */
    public Tensor permute(int... perm) {
        if (perm.length != rank()) throw new IllegalArgumentException("permute needs " + rank() + " dims");
        int[] ns = new int[perm.length], nst = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int p = Shapes.dim(perm[i], rank());
            if (seen[p]) throw new IllegalArgumentException("repeated dim in permutation " + Arrays.toString(perm));
            seen[p] = true;
            ns[i] = shape[p];
            nst[i] = strides[p];
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** Elements start..start+length-1 along {@code dim} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.dim(dim, rank());
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IndexOutOfBoundsException("narrow(" + dim + ", " + start + ", " + length + ") of size " + shape[d]);
        }
        int[] ns = shape.clone();
        ns[d] = length;
        return new Tensor(storage, ns, strides.clone(), offset + (length == 0 ? 0 : start * strides[d]));
    }

    /** Index {@code index} along {@code dim}, removing that dimension (a view). */
    public Tensor select(int dim, int index) {
        int d = Shapes.dim(dim, rank());
        if (index < 0) index += shape[d];
        if (index < 0 || index >= shape[d]) {
            throw new IndexOutOfBoundsException("index " + index + " out of range for size " + shape[d]);
        }
        return new Tensor(storage, Shapes.remove(shape, d), Shapes.remove(strides, d), offset + index * strides[d]);
    }

    /** Inserts a size-1 dimension at {@code dim} (a view). */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + rank() + 1 : dim;
        if (d < 0 || d > rank()) throw new IllegalArgumentException("unsqueeze dim " + dim + " for rank " + rank());
        int stride = d < rank() ? strides[d] * shape[d] : 1;
        return new Tensor(storage, Shapes.insert(shape, d, 1), Shapes.insert(strides, d, stride), offset);
    }

    /** Removes a size-1 dimension (a view). */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim(dim, rank());
        if (shape[d] != 1) throw new IllegalArgumentException("cannot squeeze dim " + dim + " of size " + shape[d]);
        return new Tensor(storage, Shapes.remove(shape, d), Shapes.remove(strides, d), offset);
    }

    /**
     * Broadcasts size-1 dimensions (and new leading dimensions) to {@code newShape} with stride 0 (a view).
     * A -1 keeps the existing size.
     */
    public Tensor expand(int... newShape) {
        if (newShape.length < rank()) throw new IllegalArgumentException("expand cannot drop dimensions");
        int lead = newShape.length - rank();
        int[] ns = new int[newShape.length], nst = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) throw new IllegalArgumentException("-1 not allowed for a new dimension");
                ns[i] = want;
                nst[i] = 0;
                continue;
            }
            int have = shape[i - lead];
            if (want == -1 || want == have) {
                ns[i] = have;
                nst[i] = strides[i - lead];
            } else if (have == 1) {
                ns[i] = want;
                nst[i] = 0;
            } else {
                throw new IllegalArgumentException("cannot expand " + Arrays.toString(shape) + " to "
                        + Arrays.toString(newShape));
            }
        }
        return new Tensor(storage, ns, nst, offset);
    }

    // ---------------------------------------------------------------------------------------------- copies

    /** This tensor if already contiguous, otherwise a contiguous copy (same dtype). */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        return to(dtype());
    }

    /** A contiguous copy converted to {@code dtype} (always a new storage). */
    public Tensor to(DType dtype) {
        Tensor out = zeros(dtype, shape);
        out.copyFrom(this);
        return out;
    }

    /**
     * A read-only contiguous copy in memory the garbage collector frees: for small constants and masks that are
     * built once and read by many ops. A device backend copies a read-only tensor in once and keeps the copy.
     */
    public Tensor frozen() {
        if (storage.isReadOnly() && isContiguous() && offset == 0 && numel() == storage.length()) return this;
        Tensor host = to(dtype());
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect((int) (numel() * dtype().byteSize()))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.put(host.storage.bytes());
        buf.flip();
        host.close();
        return of(Storage.wrap(dtype(), numel(), buf.asReadOnlyBuffer()), shape);
    }

    /** Copies (and converts) {@code src}'s elements into this tensor; shapes must be equal. */
    public void copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("copy from " + Arrays.toString(src.shape) + " into " + Arrays.toString(shape));
        }
        if (storage.isReadOnly()) throw new IllegalStateException("tensor is read-only (memory-mapped)");
        StridedLoop.copy(shape, src.storage, src.strides, src.offset, storage, strides, offset);
    }

    // ---------------------------------------------------------------------------------------------- elements

    /** Storage index of the element at {@code idx} (one index per dimension, negatives not allowed). */
    public int index(int... idx) {
        if (idx.length != rank()) throw new IllegalArgumentException("need " + rank() + " indices, got " + idx.length);
        int pos = offset;
        for (int d = 0; d < idx.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of " + Arrays.toString(shape));
            }
            pos += idx[d] * strides[d];
        }
        return pos;
    }

    public float getFloat(int... idx) { return storage.getFloat(index(idx)); }
    public long getLong(int... idx) { return storage.getLong(index(idx)); }
    public void setFloat(float v, int... idx) { storage.setFloat(index(idx), v); }
    public void setLong(long v, int... idx) { storage.setLong(index(idx), v); }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with " + numel() + " elements");
        return storage.getFloat(offset);
    }

    /** All elements in row-major order, converted to float. */
    public float[] toFloatArray() {
        if (dtype() == DType.F32 && isContiguous()) {
            float[] out = new float[(int) numel()];
            storage.floats().get(offset, out);
            return out;
        }
        return to(DType.F32).toFloatArray();
    }

    /** All elements in row-major order, converted to long. */
    public long[] toLongArray() {
        if (dtype() == DType.I64 && isContiguous()) {
            long[] out = new long[(int) numel()];
            storage.longs().get(offset, out);
            return out;
        }
        return to(DType.I64).toLongArray();
    }

    /** All elements in row-major order, converted to double. */
    public double[] toDoubleArray() {
        double[] out = new double[(int) numel()];
        int[] i = {0};
        StridedLoop.forEachIndex(shape, strides, offset, pos -> out[i[0]++] = storage.getDouble(pos));
        return out;
    }

    /** Frees the storage (all views sharing it become unusable). */
    @Override
    public void close() { storage.close(); }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype() + (isContiguous() ? "" : " strides " + Arrays.toString(strides));
    }
}
