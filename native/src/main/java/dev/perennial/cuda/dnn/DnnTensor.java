/*
 * One tensor of a cuDNN operation graph, as a CUDNN_BACKEND_TENSOR_DESCRIPTOR states it: unique id, dims and
 * strides in elements (rank 4 here: cuDNN's SDPA graphs are [B, H, S, D]), data type, virtual (an intermediate
 * that never reaches memory) or by value (a scalar passed in the descriptor itself, e.g. the attention scale).
 * gpu.CudnnDnn turns each into a descriptor; EmulatedDnn allocates, reads and rounds by exactly these fields.
 */
package dev.perennial.cuda.dnn;

import java.util.Arrays;

/**
 * A tensor descriptor of a {@link DnnGraph}: {@code uid}, {@code dims} and {@code strides} (elements), {@code type},
 * {@code isVirtual}, and {@code value} for a by-value scalar (a Float or an Integer; null otherwise).
 */
public record DnnTensor(long uid, String name, long[] dims, long[] strides, DnnType type, boolean isVirtual,
                        Number value) {

    public DnnTensor {
        if (dims.length != strides.length) {
            throw new IllegalArgumentException(name + ": " + dims.length + " dims but " + strides.length + " strides");
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || strides[i] < 0) {
                throw new IllegalArgumentException(name + ": dims " + Arrays.toString(dims) + " strides "
                        + Arrays.toString(strides) + " (cuDNN needs dims of at least 1 and non-negative strides)");
            }
        }
        dims = dims.clone();
        strides = strides.clone();
    }

    /** True for a scalar passed by value in its descriptor (CUDNN_ATTR_TENSOR_IS_BY_VALUE). */
    public boolean byValue() { return value != null; }

    /** Number of elements (the product of the dims). */
    public long numel() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Packed row-major strides for dims (the layout cuDNN's examples give virtual tensors). */
    public static long[] packed(long... dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    @Override
    public long[] dims() { return dims.clone(); }

    @Override
    public long[] strides() { return strides.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnnTensor t && uid == t.uid && name.equals(t.name) && Arrays.equals(dims, t.dims)
                && Arrays.equals(strides, t.strides) && type == t.type && isVirtual == t.isVirtual
                && java.util.Objects.equals(value, t.value);
    }

    @Override
    public int hashCode() { return Long.hashCode(uid) * 31 + Arrays.hashCode(dims); }

    @Override
    public String toString() {
        return name + "#" + uid + " " + Arrays.toString(dims) + " strides " + Arrays.toString(strides) + " " + type
                + (isVirtual ? " virtual" : "") + (value != null ? " = " + value : "");
    }
}
