/*
 * The pool's sample vectors on disk (docs/methods/adapt-inf.md §2.5, §3: "1M samples ≈ 16 GB in fp16, so stream it"): an
 * append-only file of N rows of length k, read back through memory maps, so a pool larger than RAM can be
 * clustered and pruned (it is a VectorSource). The pool scorer also keeps its score columns in one ([N, S]).
 *
 * File layout (little-endian):
 *   bytes  0..7   magic "PNVEC001"
 *          8..11  dtype: 0 = F32, 1 = F16 (IEEE half, round to nearest even on write; halves the size)
 *         12..15  k, the row length (≥ 1)
 *         16..23  N, the committed row count
 *         24..63  zero
 *   64..          N·k values, row-major
 *
 * Writing: create() writes to "<target>.partial"; append() buffers rows; commit() flushes them, forces the data
 * to disk and then records N in the header (so the header never counts rows that are not on disk); finish()
 * commits and renames the partial file atomically onto the target (a target exists only complete). A killed
 * writer leaves the partial file; resume() reopens it at a row count the caller committed (anything after it is
 * cut off), which is how an interrupted scoring run continues.
 *
 * Reading: open() checks the header and that the size is exactly 64 + N·k·(element size), and refuses a
 * truncated or otherwise corrupt file with a TensorFormatException that says what is wrong. Rows are served from
 * read-only maps of at most 1 GiB each (a MappedByteBuffer holds < 2 GiB); read() may be called from several
 * threads with distinct destinations. exportNpy() streams the rows into a float32 [N, k] .npy.
 */
package dev.perennial.select;

import dev.perennial.cluster.VectorSource;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Npy;
import dev.perennial.io.TensorFormatException;
import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The pool's sample vectors on disk: an append-only file of N rows of length k, float32 or float16 after a 64-byte
 * header, little-endian; a {@code Writer} appends, commits durably and renames into place, and reads go through
 * read-only memory maps of at most 1 GiB. {@code column} and {@code exportNpy} read every row.
 * <p>Thread-safe for reads: its fields are final and {@code read} uses absolute positions, so several threads may read
 * with distinct destinations; {@code close()} must not run meanwhile. Its {@code Writer} is not thread-safe.
 */
public final class VectorStore implements VectorSource, AutoCloseable {
    static final byte[] MAGIC = "PNVEC001".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_BYTES = 64;
    static final long DEFAULT_SEGMENT_BYTES = 1L << 30;
    /** Suffix of the file a Writer appends to. */
    public static final String PARTIAL_SUFFIX = ".partial";

    private final Path file;
    private final DType dtype;
    private final int size, dim, rowsPerSegment;
    private final FloatBuffer[] floats;     // F32 segments
    private final ShortBuffer[] halves;     // F16 segments

    private VectorStore(Path file, DType dtype, int size, int dim, long segmentBytes, FileChannel ch) throws IOException {
        this.file = file;
        this.dtype = dtype;
        this.size = size;
        this.dim = dim;
        long rowBytes = (long) dim * dtype.byteSize();
        this.rowsPerSegment = (int) Math.max(1, Math.min(Integer.MAX_VALUE, segmentBytes / rowBytes));
        int segments = size == 0 ? 0 : (size + rowsPerSegment - 1) / rowsPerSegment;
        floats = new FloatBuffer[dtype == DType.F32 ? segments : 0];
        halves = new ShortBuffer[dtype == DType.F16 ? segments : 0];
        for (int s = 0; s < segments; s++) {
            long first = (long) s * rowsPerSegment;
            long rows = Math.min(rowsPerSegment, size - first);
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES + first * rowBytes, rows * rowBytes);
            m.order(ByteOrder.LITTLE_ENDIAN);
            if (dtype == DType.F32) floats[s] = m.asFloatBuffer();
            else halves[s] = m.asShortBuffer();
        }
    }

    /** Opens a complete store read-only. */
    public static VectorStore open(Path file) throws IOException {
        return open(file, DEFAULT_SEGMENT_BYTES);
    }

    /** As open(file), mapping at most segmentBytes per map (tests use small maps to cross segment edges). */
    static VectorStore open(Path file, long segmentBytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = Header.read(ch, file);
            long expected = h.bytesFor(h.rows), actual = ch.size();
            if (actual < expected) {
                throw new TensorFormatException(file, Defect.TRUNCATED, "the header promises " + h.rows + " rows of " + h.dim + " "
                        + h.dtype + " values (" + expected + " bytes), the file has " + actual + " bytes");
            }
            if (actual > expected) {
                throw new TensorFormatException(file, Defect.SIZE_MISMATCH, (actual - expected) + " bytes after the " + h.rows
                        + " rows the header counts (an unfinished or damaged store)");
            }
            if (h.rows > Integer.MAX_VALUE) throw new TensorFormatException(file, Defect.BAD_SHAPE, h.rows + " rows: at most 2^31 - 1 are read");
            return new VectorStore(file, h.dtype, (int) h.rows, h.dim, segmentBytes, ch);   // maps outlive the channel
        }
    }

    /** Starts a new store for {@code target}: rows go to target + ".partial" (replaced if present). */
    public static Writer create(Path target, int dim, DType dtype) throws IOException {
        checkLayout(dim, dtype);
        Path partial = partialOf(target);
        FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
        Writer w = new Writer(target, partial, ch, dim, dtype, 0);
        w.writeHeader();
        return w;
    }

    /**
     * Reopens the partial file of an interrupted writer at {@code rows} rows (≤ its committed count, with the same
     * layout), cutting off anything after them.
     */
    public static Writer resume(Path target, int dim, DType dtype, long rows) throws IOException {
        checkLayout(dim, dtype);
        Path partial = partialOf(target);
        FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            Header h = Header.read(ch, partial);
            if (h.dim != dim || h.dtype != dtype) {
                throw new IOException(partial + ": holds " + h.dim + " " + h.dtype + " values per row, not " + dim + " " + dtype);
            }
            if (rows < 0 || rows > h.rows || ch.size() < h.bytesFor(rows)) {
                throw new TensorFormatException(partial, Defect.TRUNCATED, "cannot resume at row " + rows + ": " + h.rows
                        + " rows committed, " + ch.size() + " bytes on disk");
            }
            ch.truncate(h.bytesFor(rows));
            Writer w = new Writer(target, partial, ch, dim, dtype, rows);
            w.writeHeader();
            ch.force(true);
            return w;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The file a Writer for target appends to. */
    public static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + PARTIAL_SUFFIX);
    }

    private static void checkLayout(int dim, DType dtype) {
        if (dim < 1) throw new IllegalArgumentException("row length must be positive, got " + dim);
        if (dtype != DType.F32 && dtype != DType.F16) throw new IllegalArgumentException("a vector store holds F32 or F16, not " + dtype);
    }

    public Path file() { return file; }
    public DType dtype() { return dtype; }

    @Override
    public int size() { return size; }

    @Override
    public int dim() { return dim; }

    @Override
    public void read(int index, float[] dst) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("vector " + index + " of " + size);
        int segment = index / rowsPerSegment, at = (index % rowsPerSegment) * dim;
        if (dtype == DType.F32) {
            floats[segment].get(at, dst, 0, dim);
        } else {
            ShortBuffer h = halves[segment];
            for (int j = 0; j < dim; j++) dst[j] = Half.f16ToFloat(h.get(at + j));
        }
    }

    /** Column {@code col} of every row: one score per sample when the store holds score columns. */
    public float[] column(int col) {
        if (col < 0 || col >= dim) throw new IndexOutOfBoundsException("column " + col + " of " + dim);
        float[] row = new float[dim], out = new float[size];
        for (int i = 0; i < size; i++) {
            read(i, row);
            out[i] = row[col];
        }
        return out;
    }

    /** Writes the rows as a float32 [N, k] .npy (atomically, streamed: memory is one row). */
    public void exportNpy(Path npy) throws IOException {
        Npy.writeRows(npy, size, dim, this::read);
    }

    /** The maps are released by the garbage collector (Java 17 cannot unmap); nothing else is held. */
    @Override
    public void close() {
        Arrays.fill(floats, null);
        Arrays.fill(halves, null);
    }

    /** Appends rows to a partial store; see the class comment. Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private static final int BUFFER_BYTES = 1 << 20;
        private final Path target, partial;
        private final FileChannel ch;
        private final int dim;
        private final DType dtype;
        private final ByteBuffer buffer;
        private long committed, rows, written;     // rows on disk = written, rows appended = rows

        private Writer(Path target, Path partial, FileChannel ch, int dim, DType dtype, long rows) {
            this.target = target;
            this.partial = partial;
            this.ch = ch;
            this.dim = dim;
            this.dtype = dtype;
            this.committed = this.rows = this.written = rows;
            this.buffer = ByteBuffer.allocate((int) Math.max(BUFFER_BYTES, (long) dim * dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        }

        public int dim() { return dim; }

        /** Rows appended so far (committed or not). */
        public long rows() { return rows; }

        /** Rows that commit() made durable. */
        public long committed() { return committed; }

        /** Appends one row of length dim (NaN allowed: a sample without a vector). */
        public void append(float[] row) throws IOException {
            if (row.length != dim) throw new IllegalArgumentException("row of length " + row.length + ", the store holds " + dim);
            if (buffer.remaining() < dim * dtype.byteSize()) flush();
            if (dtype == DType.F32) {
                for (float v : row) buffer.putFloat(v);
            } else {
                for (float v : row) buffer.putShort(Half.floatToF16(v));
            }
            rows++;
        }

        /** Makes every appended row durable and counts them in the header; returns the committed row count. */
        public long commit() throws IOException {
            flush();
            ch.force(false);
            committed = rows;
            writeHeader();
            ch.force(false);
            return committed;
        }

        /** Commits, closes and renames the partial file onto the target; returns the store opened read-only. */
        public VectorStore finish() throws IOException {
            commit();
            ch.close();
            AtomicFiles.rename(partial, target);                   // replaces an existing file (rename(2))
            return open(target);
        }

        /** Closes without committing: the partial file stays, at its last committed row count, for resume(). */
        @Override
        public void close() throws IOException {
            if (ch.isOpen()) ch.close();
        }

        private void flush() throws IOException {
            buffer.flip();
            long position = HEADER_BYTES + written * dim * dtype.byteSize();
            while (buffer.hasRemaining()) position += ch.write(buffer, position);
            buffer.clear();
            written = rows;
        }

        private void writeHeader() throws IOException {
            ByteBuffer h = new Header(dtype, dim, committed).encode();
            long position = 0;
            while (h.hasRemaining()) position += ch.write(h, position);
        }
    }

    private record Header(DType dtype, int dim, long rows) {
        long bytesFor(long n) { return HEADER_BYTES + n * dim * dtype.byteSize(); }

        ByteBuffer encode() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(dtype == DType.F32 ? 0 : 1).putInt(dim).putLong(rows);
            return b.position(HEADER_BYTES).flip();
        }

        static Header read(FileChannel ch, Path file) throws IOException {
            if (ch.size() < HEADER_BYTES) {
                throw new TensorFormatException(file, Defect.TRUNCATED, "file of " + ch.size() + " bytes ends inside the " + HEADER_BYTES + "-byte header");
            }
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) if (ch.read(b, b.position()) < 0) throw new TensorFormatException(file, Defect.TRUNCATED, "header cut short");
            b.flip();
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new TensorFormatException(file, Defect.BAD_MAGIC, "does not start with PNVEC001; not a vector store");
            int code = b.getInt(), dim = b.getInt();
            long rows = b.getLong();
            if (code != 0 && code != 1) throw new TensorFormatException(file, Defect.UNKNOWN_DTYPE, "dtype code " + code + " (0 = F32, 1 = F16)");
            if (dim < 1 || rows < 0) throw new TensorFormatException(file, Defect.BAD_SHAPE, "[" + rows + ", " + dim + "]");
            return new Header(code == 0 ? DType.F32 : DType.F16, dim, rows);
        }
    }
}
