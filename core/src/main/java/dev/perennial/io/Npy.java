/*
 * Reads and writes NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html),
 * the format of the golden reference tensors.
 *
 *   "\x93NUMPY" major minor | header length (u16 LE in 1.0, u32 LE in 2.0) | header dict | raw data
 *
 * Reading accepts versions 1.0 and 2.0 (3.0 only changes the header encoding for structured field names,
 * which are not supported anyway) and the dtypes of NpyHeader. The data is read into a fresh native Storage:
 * .npy files here are small, and an owned tensor can be modified and closed like any other.
 * fortran_order True is supported: the column-major data is returned as a transposed (permuted) view with
 * the header's shape, so values are correct and nothing is copied; call contiguous() for row-major storage.
 * The data must be exactly numel x element size bytes: fewer is TRUNCATED, more is SIZE_MISMATCH.
 *
 * Writing always produces version 1.0, C order, little-endian, header padded with spaces and a final newline
 * to a multiple of 64 bytes as numpy does, atomically (AtomicFiles). Views are written in logical order;
 * writeRows streams a float32 matrix row by row (larger than one tensor may be).
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Reads and writes NumPy {@code .npy} files: {@code read} loads versions 1.0 and 2.0 into a new tensor (Fortran order
 * as a transposed view), {@code layout} checks a file and says where its data starts (a byte offset), and {@code write}
 * and {@code writeRows} write version 1.0, C order, little-endian, atomically; {@code writeRows} streams a float32
 * {@code [rows, cols]} matrix holding one row and a 1 MB buffer.
 * <p>Stateless; its static methods are safe to call from several threads. Its {@code Layout} record does not copy its
 * shape array.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Header dictionaries larger than this are refused (numpy itself refuses more than 10,000 by default). */
    static final int MAX_HEADER_BYTES = 1 << 20;
    private static final int ALIGNMENT = 64;

    private Npy() {}

    /**
     * Where the array data of a checked .npy file lies, for callers that map or stream the data themselves
     * instead of reading it into one Storage (e.g. a sample-vector matrix above 2 GiB).
     * @param dtype        element type
     * @param shape        the header's shape
     * @param fortranOrder whether the data is column-major
     * @param dataOffset   byte offset of the first element; the file holds exactly numel x element size bytes after it
     */
    public record Layout(DType dtype, int[] shape, boolean fortranOrder, long dataOffset) {
        /** numel x element size. */
        public long byteCount() {
            long n = dtype.byteSize();
            for (int s : shape) n *= s;
            return n;
        }
    }

    /** Reads {@code file} into a new tensor (see the class comment for what is accepted). */
    public static Tensor read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Layout layout = layout(ch, file);
            long needed = layout.byteCount();
            if (needed > Integer.MAX_VALUE) {
                throw new TensorFormatException(file, Defect.TENSOR_TOO_LARGE, "shape " + Arrays.toString(layout.shape())
                        + " of " + NpyHeader.descr(layout.dtype()) + " needs " + needed + " bytes; one tensor holds at most "
                        + Integer.MAX_VALUE + " bytes");
            }
            Storage storage = Storage.allocate(layout.dtype(), needed / layout.dtype().byteSize(), layout.shape());
            ChannelIO.readFully(ch, storage.bytes(), layout.dataOffset(), file);
            return layout.fortranOrder() ? columnMajor(storage, layout.shape()) : Tensor.of(storage, layout.shape());
        }
    }

    /**
     * Checks {@code file}'s header and data size exactly as {@link #read} does, without reading the data, and
     * says where the data is. Any size is accepted (no 2 GiB limit).
     */
    public static Layout layout(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return layout(ch, file);
        }
    }

    private static Layout layout(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        ByteBuffer prefix = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
        ChannelIO.readFully(ch, prefix, 0, file);
        if (size < MAGIC.length || !Arrays.equals(prefix.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new TensorFormatException(file, Defect.BAD_MAGIC, "does not start with \\x93NUMPY; not a .npy file");
        }
        if (size < 8) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "file ends inside the version bytes");
        }
        int major = prefix.get(6) & 0xff, minor = prefix.get(7) & 0xff;
        if ((major != 1 && major != 2) || minor != 0) {
            throw new TensorFormatException(file, Defect.UNSUPPORTED_VERSION, "format version " + major + "."
                    + minor + "; only 1.0 and 2.0 are read");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (size < 8 + lengthBytes) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "file ends inside the header length");
        }
        long headerLength = major == 1 ? prefix.getShort(8) & 0xffff : prefix.getInt(8) & 0xffffffffL;
        if (headerLength > MAX_HEADER_BYTES) {
            throw new TensorFormatException(file, Defect.BAD_HEADER_LENGTH, "declared header length "
                    + headerLength + " exceeds " + MAX_HEADER_BYTES + " bytes");
        }
        long dataStart = 8 + lengthBytes + headerLength;
        if (dataStart > size) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "header of " + headerLength
                    + " bytes ends at byte " + dataStart + ", past the end of the file (" + size + " bytes)");
        }
        byte[] text = new byte[(int) headerLength];
        ChannelIO.readFully(ch, ByteBuffer.wrap(text), 8 + lengthBytes, file);
        NpyHeader header = NpyHeader.parse(new String(text, StandardCharsets.ISO_8859_1), file);

        long needed = header.byteCount(), available = size - dataStart;
        String what = "shape " + Arrays.toString(header.shape()) + " of " + NpyHeader.descr(header.dtype())
                + " needs " + needed + " bytes of data, the file has " + available;
        if (available < needed) throw new TensorFormatException(file, Defect.TRUNCATED, what);
        if (available > needed) throw new TensorFormatException(file, Defect.SIZE_MISMATCH, what);
        return new Layout(header.dtype(), header.shape(), header.fortranOrder(), dataStart);
    }

    /** A view with {@code shape} over column-major data: the reversed-shape row-major tensor, dims reversed. */
    private static Tensor columnMajor(Storage storage, int[] shape) {
        int rank = shape.length;
        int[] reversed = new int[rank], perm = new int[rank];
        for (int d = 0; d < rank; d++) {
            reversed[d] = shape[rank - 1 - d];
            perm[d] = rank - 1 - d;
        }
        return Tensor.of(storage, reversed).permute(perm);
    }

    /**
     * Writes {@code t} (any dtype but BF16, which numpy lacks) to {@code file} as a version 1.0 .npy,
     * atomically.
     */
    public static void write(Path file, Tensor t) throws IOException {
        ByteBuffer header = header(t.dtype(), t.shape());
        AtomicFiles.write(file, ch -> {
            ChannelIO.writeFully(ch, header);
            TensorBytes.write(ch, t);
        });
    }

    /** Supplies row {@code row} of a float32 matrix being streamed to a file (writeRows). */
    @FunctionalInterface
    public interface FloatRows {
        void read(int row, float[] dst) throws IOException;
    }

    /**
     * Writes a float32 [rows, cols] matrix row by row, atomically, without holding it in memory: for matrices
     * larger than one tensor (a pool's sample vectors, select.VectorStore.exportNpy). Memory: one row plus a
     * 1 MB staging buffer.
     */
    public static void writeRows(Path file, int rows, int cols, FloatRows source) throws IOException {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        ByteBuffer header = header(DType.F32, new int[]{rows, cols});
        AtomicFiles.write(file, ch -> {
            ChannelIO.writeFully(ch, header);
            float[] row = new float[cols];
            ByteBuffer staging = ByteBuffer.allocate(Math.max(4 * cols, 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) {
                source.read(r, row);
                if (staging.remaining() < 4 * cols) {
                    staging.flip();
                    ChannelIO.writeFully(ch, staging);
                    staging.clear();
                }
                staging.asFloatBuffer().put(row);
                staging.position(staging.position() + 4 * cols);
            }
            staging.flip();
            ChannelIO.writeFully(ch, staging);
        });
    }

    /** Magic, version 1.0, header length and the padded dictionary, ready to write. */
    private static ByteBuffer header(DType dtype, int[] shape) {
        byte[] dict = new NpyHeader(dtype, false, shape).format().getBytes(StandardCharsets.ISO_8859_1);
        int prefixBytes = MAGIC.length + 2 + 2;
        int total = (prefixBytes + dict.length + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;  // +1: the '\n'
        int headerLength = total - prefixBytes;
        if (headerLength > 0xffff) {
            throw new IllegalArgumentException("a header for shape " + Arrays.toString(shape) + " does not fit format 1.0");
        }
        ByteBuffer header = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLength).put(dict);
        while (header.position() < total - 1) header.put((byte) ' ');
        header.put((byte) '\n').flip();
        return header;
    }
}
