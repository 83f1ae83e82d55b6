/*
 * What a checkpoint's header says about one tensor, available without touching the tensor's bytes.
 *
 * begin/end are the safetensors data_offsets: byte positions relative to the start of the data section of the
 * file that holds the tensor (for a sharded checkpoint, its shard), end exclusive.
 */
package dev.perennial.io;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;

import java.util.Arrays;

/**
 * What a checkpoint's header says about one tensor, without reading its bytes: name, dtype, shape, and {@code begin}
 * and {@code end}, byte offsets relative to the start of the data section of the file that holds it (end exclusive).
 * <p>Immutable; safe to share between threads: the constructor copies the shape and {@code shape()} returns a copy.
 */
public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** A copy of the shape (the record stays immutable). */
    @Override
    public int[] shape() { return shape.clone(); }

    public long numel() { return Shapes.numel(shape); }

    /** Bytes the tensor occupies in the file (end - begin). */
    public long byteLength() { return end - begin; }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ")";
    }
}
