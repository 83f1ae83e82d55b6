/*
 * The heap implementation of VectorSource (docs/methods/adapt-inf.md §2.5): N vectors of length d in one row-major float
 * array, copied in on construction so later changes to the caller's arrays do not leak in.
 */
package dev.perennial.cluster;

/**
 * A {@link VectorSource} on the heap: N float32 vectors of length d in one row-major array {@code [N, d]}.
 * <p>Immutable; safe to share between threads: the constructors copy the caller's data into a private final array
 * that is only read afterwards.
 */
public final class InMemoryVectors implements VectorSource {
    private final float[] data;   // (N, d)
    private final int size, dim;

    /** Rows of equal length, copied. */
    public InMemoryVectors(float[][] rows) {
        this(flatten(rows), rows.length, rows.length == 0 ? 0 : rows[0].length, false);
    }

    /** N = size rows of length dim, row-major in {@code data} (length size·dim). */
    public InMemoryVectors(float[] data, int size, int dim) {
        this(data, size, dim, true);
    }

    private InMemoryVectors(float[] data, int size, int dim, boolean copy) {
        if (size < 0 || dim < 0 || (long) size * dim != data.length) {
            throw new IllegalArgumentException("need " + size + " x " + dim + " values, got " + data.length);
        }
        this.data = copy ? data.clone() : data;
        this.size = size;
        this.dim = dim;
    }

    private static float[] flatten(float[][] rows) {
        int d = rows.length == 0 ? 0 : rows[0].length;
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) throw new IllegalArgumentException("row " + i + " has length " + rows[i].length + ", row 0 has " + d);
            System.arraycopy(rows[i], 0, out, i * d, d);
        }
        return out;
    }

    @Override
    public int size() { return size; }

    @Override
    public int dim() { return dim; }

    @Override
    public void read(int index, float[] dst) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("vector " + index + " of " + size);
        System.arraycopy(data, index * dim, dst, 0, dim);
    }
}
