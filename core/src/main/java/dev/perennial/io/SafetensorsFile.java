/*
 * One .safetensors file, opened for lazy zero-copy reading.
 *
 * open() reads and validates only the header (SafetensorsHeader), so it costs the same for a 500 KB test
 * model and a 14 GB checkpoint. tensor(name) memory-maps exactly that tensor's bytes (FileChannel.map
 * READ_ONLY, little-endian) and wraps the mapping as a read-only Storage: no copy, and the OS pages weights in
 * as they are used. One mapping is limited to 2 GiB (a ByteBuffer's int positions, also Storage's limit);
 * a larger single tensor gets a TENSOR_TOO_LARGE error naming it (LLaVA-7B's largest tensor is ~0.26 GB in
 * fp16, so this does not bite the target models).
 *
 * Names are listed in data-section order, i.e. the order the bytes are stored. For files written by the
 * reference implementation (and by SafetensorsWriter) that is also the header order.
 *
 * A malformed file never reaches the mapping step. The file must not be truncated by someone else while it is
 * open: a mapped page past the end of a file raises SIGBUS, which Java turns into an InternalError for Java
 * reads but which native code (BLAS) cannot survive; tensor() re-checks the file size before each mapping to
 * report such a truncation as TRUNCATED.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * One {@code .safetensors} file opened for lazy zero-copy reading: {@code open} reads and validates only the header,
 * and {@code tensor(name)} memory-maps that tensor's bytes read-only (at most 2 GiB per tensor). Names are in
 * data-section order; {@code dataStart} is the data section's byte offset.
 * <p>Thread-safe for reads: its fields are final, its name table is filled by the constructor and only read, and
 * mapping goes through the thread-safe {@code FileChannel}; {@code close()} must not run while another thread calls
 * {@code tensor}.
 */
public final class SafetensorsFile implements TensorSource {
    private static final Logger log = LoggerFactory.getLogger(SafetensorsFile.class);

    private final Path file;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> byName;
    private final List<String> names;
    private volatile boolean closed;

    private SafetensorsFile(Path file, FileChannel channel, SafetensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.byName = new HashMap<>();
        List<String> n = new ArrayList<>(header.tensors().size());
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
            n.add(t.name());
        }
        this.names = Collections.unmodifiableList(n);
    }

    /** Opens {@code file} and validates its header; TensorFormatException if it is malformed. */
    public static SafetensorsFile open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            SafetensorsHeader header = SafetensorsHeader.read(ch, file);
            log.debug("opened {}: {} tensors, data section at byte {}", file, header.tensors().size(), header.dataStart());
            return new SafetensorsFile(file, ch, header);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path file() { return file; }

    /** File position of the data section (8 + header length); TensorInfo offsets are relative to it. */
    public long dataStart() { return header.dataStart(); }

    /** Names in data-section order. */
    @Override
    public List<String> names() { return names; }

    @Override
    public boolean contains(String name) { return byName.containsKey(name); }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) throw new NoSuchElementException("no tensor '" + name + "' in " + file);
        return t;
    }

    @Override
    public Map<String, String> metadata() { return header.metadata(); }

    /** A read-only tensor over a fresh memory map of its bytes (see the class comment). */
    @Override
    public Tensor tensor(String name) throws IOException {
        if (closed) throw new IllegalStateException(file + " is closed");
        TensorInfo t = info(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new TensorFormatException(file, Defect.TENSOR_TOO_LARGE, "tensor '" + name + "' has "
                    + t.byteLength() + " bytes; one mapping holds at most " + Integer.MAX_VALUE);
        }
        long position = header.dataStart() + t.begin();
        long size = channel.size();
        if (header.dataStart() + t.end() > size) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "file shrank to " + size
                    + " bytes after it was opened; tensor '" + name + "' ends at byte " + (header.dataStart() + t.end()));
        }
        MappedByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, position, t.byteLength());
        bytes.order(ByteOrder.LITTLE_ENDIAN);
        return Tensor.of(Storage.wrap(t.dtype(), t.numel(), bytes), t.shape());
    }

    /** Closes the file. Tensors already returned stay valid (their mappings outlive the channel). */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() { return "SafetensorsFile(" + file + ", " + names.size() + " tensors)"; }
}
