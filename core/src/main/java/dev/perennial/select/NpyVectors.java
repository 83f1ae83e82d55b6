/*
 * The pool's sample vectors read straight from a .npy file (docs/methods/adapt-inf.md §2.5, §9.2: `perennial score` writes
 * vectors.npy, f32 [N, k], one row per pool sample in pool order). The file is memory-mapped read-only, so a
 * pool larger than the heap (100k × 8192 f32 = 3.3 GB) is clustered and pruned without loading it: the page
 * cache holds what is in use. Mappings are at most MAX_MAPPING bytes of whole rows each, so any N works.
 *
 * Accepted: a C-order [N, d] array of float32 or float16 (widened on read), checked as Npy.layout checks it
 * (magic, header, exact data size). Anything else (another rank or dtype, fortran_order True) is an
 * IllegalArgumentException naming the file. Values are returned as stored; NaN/±∞ are cleaned by the callers
 * through VectorSource.readFinite. Reads are absolute, so concurrent calls are safe.
 */
package dev.perennial.select;

import dev.perennial.cluster.VectorSource;
import dev.perennial.io.Npy;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The pool's sample vectors read straight from a C-order {@code .npy} file of float32 or float16 {@code [N, d]},
 * memory-mapped read-only in mappings of at most 1 GiB, so a pool larger than the heap can be clustered and pruned;
 * rows are returned as float32, as stored (NaN included).
 * <p>Thread-safe: its fields are final and every read goes through a fresh buffer view at absolute positions, so
 * several threads may read with distinct destination arrays.
 */
public final class NpyVectors implements VectorSource {
    /** Largest mapping (bytes, rounded down to whole rows). */
    static final long MAX_MAPPING = 1L << 30;

    private final Path file;
    private final DType dtype;
    private final int size, dim;
    private final int rowsPerMapping;
    private final MappedByteBuffer[] mappings;

    private NpyVectors(Path file, DType dtype, int size, int dim, int rowsPerMapping, MappedByteBuffer[] mappings) {
        this.file = file;
        this.dtype = dtype;
        this.size = size;
        this.dim = dim;
        this.rowsPerMapping = rowsPerMapping;
        this.mappings = mappings;
    }

    /** Maps {@code file}, a C-order [N, d] float32 or float16 .npy. */
    public static NpyVectors open(Path file) throws IOException {
        return open(file, MAX_MAPPING);
    }

    /** With mappings of at most {@code maxMapping} bytes (tests use small ones to cross mapping boundaries). */
    static NpyVectors open(Path file, long maxMapping) throws IOException {
        Npy.Layout layout = Npy.layout(file);
        int[] shape = layout.shape();
        if (shape.length != 2 || (layout.dtype() != DType.F32 && layout.dtype() != DType.F16)) {
            throw new IllegalArgumentException(file + ": expected sample vectors as float32 or float16 [N, d], got "
                    + layout.dtype() + " " + Arrays.toString(shape));
        }
        if (layout.fortranOrder()) {
            throw new IllegalArgumentException(file + ": sample vectors must be stored in C order (fortran_order is True)");
        }
        int n = shape[0], d = shape[1];
        long rowBytes = (long) d * layout.dtype().byteSize();
        if (rowBytes > maxMapping) throw new IllegalArgumentException(file + ": rows of " + rowBytes + " bytes are too long");
        int rowsPerMapping = (int) Math.min(Integer.MAX_VALUE, rowBytes == 0 ? Integer.MAX_VALUE : maxMapping / rowBytes);
        int count = n == 0 || rowBytes == 0 ? 0 : (int) ((n + (long) rowsPerMapping - 1) / rowsPerMapping);
        MappedByteBuffer[] maps = new MappedByteBuffer[count];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int m = 0; m < count; m++) {
                long first = (long) m * rowsPerMapping, rows = Math.min(rowsPerMapping, n - first);
                maps[m] = ch.map(FileChannel.MapMode.READ_ONLY, layout.dataOffset() + first * rowBytes, rows * rowBytes);
                maps[m].order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        return new NpyVectors(file, layout.dtype(), n, d, rowsPerMapping, maps);
    }

    /** The mapped file. */
    public Path file() { return file; }

    /** F32 or F16, as stored. */
    public DType dtype() { return dtype; }

    @Override
    public int size() { return size; }

    @Override
    public int dim() { return dim; }

    @Override
    public void read(int index, float[] dst) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("vector " + index + " of " + size);
        MappedByteBuffer map = mappings[index / rowsPerMapping];
        int row = index % rowsPerMapping;
        if (dtype == DType.F32) {
            map.asFloatBuffer().get(row * dim, dst, 0, dim);     // asFloatBuffer inherits the little-endian order
        } else {
            var halves = map.asShortBuffer();
            for (int j = 0; j < dim; j++) dst[j] = Half.f16ToFloat(halves.get(row * dim + j));
        }
    }
}
