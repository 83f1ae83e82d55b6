/*
 * Shape arithmetic shared by tensors and backends: element counts, strides, dimension wrapping,
 * reshape inference and NumPy broadcasting.
 */
package dev.perennial.tensor;

import java.util.Arrays;

/**
 * Shape arithmetic on {@code int[]} shapes shared by tensors and backends: element counts, row-major strides (in
 * elements), dimension wrapping, reshape inference with one -1, and NumPy broadcasting.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class Shapes {
    private Shapes() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        return n;
    }

    /** Row-major strides of a contiguous tensor. */
    public static int[] contiguousStrides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= Math.max(shape[d], 1);
        }
        return st;
    }

    /** Wraps a possibly negative dimension index into [0, rank). */
    public static int dim(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new IllegalArgumentException("dimension " + dim + " out of range for rank " + rank);
        return d;
    }

    public static int[] remove(int[] a, int i) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    public static int[] insert(int[] a, int i, int v) {
        int[] r = new int[a.length + 1];
        System.arraycopy(a, 0, r, 0, i);
        r[i] = v;
        System.arraycopy(a, i, r, i + 1, a.length - i);
        return r;
    }

    /** Resolves one -1 in {@code shape} so that it holds {@code numel} elements. */
    public static int[] inferReshape(int[] shape, long numel) {
        int[] s = shape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(shape));
                unknown = i;
            } else {
                if (s[i] < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
                known *= s[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(shape));
            }
            s[unknown] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(shape));
        }
        return s;
    }

    /** NumPy broadcast of two shapes (aligned at the trailing dimension). */
    public static int[] broadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            r[i] = da == 1 ? db : da;
        }
        return r;
    }
}
