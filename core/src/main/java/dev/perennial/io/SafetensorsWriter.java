/*
 * Writes tensors to a .safetensors file that the reference implementation (and SafetensorsFile) reads.
 *
 * Layout: tensors are stored in the iteration order of the given map (pass a LinkedHashMap or TreeMap), each
 * right after the previous one, so they tile the data section as the format requires. The reference Rust
 * writer orders by dtype then name; the format does not require that, and keeping the caller's order lets a
 * checkpoint list parameters in module order. The header JSON is space padded so the data section starts at
 * a multiple of 8. Data is little-endian, row-major; views are written in logical order (TensorBytes).
 * The file is replaced atomically (AtomicFiles): a crash leaves the old file or none, never half of one.
 *
 * writeStreamed() writes tensors whose bytes are produced on demand (a checkpoint larger than memory, e.g. a
 * synthetic 7B model): the header is computed from names, dtypes and shapes alone, then each tensor writes its
 * bytes straight into the file, and a tensor that writes more or fewer bytes than its shape needs is an error.
 */
package dev.perennial.io;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes named tensors to a {@code .safetensors} file in the map's iteration order, with string metadata: the header is
 * padded so the data section starts at a multiple of 8 bytes, data is little-endian and row-major, and the file is
 * replaced atomically.
 * <p>Stateless; its static method is safe to call from several threads while no thread writes the tensors being saved.
 */
public final class SafetensorsWriter {
    private static final Logger log = LoggerFactory.getLogger(SafetensorsWriter.class);

    private SafetensorsWriter() {}

    /**
     * One tensor of a streamed file: name, dtype and shape, and {@code write}, which must write exactly
     * numel × dtype size bytes of little-endian, row-major data to the channel.
     */
    public interface Streamed {
        String name();
        DType dtype();
        int[] shape();
        void write(WritableByteChannel channel) throws IOException;
    }

    /**
     * Writes {@code tensors} in list order with string {@code metadata} to {@code file}, atomically, without holding
     * any tensor in memory: each tensor streams its bytes into the file.
     */
    public static void writeStreamed(Path file, List<Streamed> tensors, Map<String, String> metadata) throws IOException {
        List<TensorInfo> layout = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Streamed t : tensors) {
            if (t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.METADATA_KEY);
            }
            long end = offset + Math.multiplyExact(Shapes.numel(t.shape()), (long) t.dtype().byteSize());
            layout.add(new TensorInfo(t.name(), t.dtype(), t.shape(), offset, end));
            offset = end;
        }
        ByteBuffer header = SafetensorsHeader.encode(layout, metadata);
        AtomicFiles.write(file, ch -> {
            ChannelIO.writeFully(ch, header);
            for (int i = 0; i < tensors.size(); i++) {
                long before = ch.position();
                tensors.get(i).write(ch);
                long wrote = ch.position() - before, expected = layout.get(i).end() - layout.get(i).begin();
                if (wrote != expected) {
                    throw new IOException(file + ": tensor " + tensors.get(i).name() + " wrote " + wrote + " bytes, its shape needs " + expected);
                }
            }
        });
        log.debug("wrote {}: {} streamed tensors, {} data bytes", file, layout.size(), offset);
    }

    /**
     * Writes {@code tensors} (in map order) with string {@code metadata} (may be empty; stored as
     * __metadata__) to {@code file}, atomically.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<TensorInfo> layout = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.METADATA_KEY);
            }
            Tensor t = e.getValue();
            long end = offset + TensorBytes.size(t);
            layout.add(new TensorInfo(e.getKey(), t.dtype(), t.shape(), offset, end));
            offset = end;
        }
        ByteBuffer header = SafetensorsHeader.encode(layout, metadata);
        long dataBytes = offset;
        AtomicFiles.write(file, ch -> {
            ChannelIO.writeFully(ch, header);
            for (Tensor t : tensors.values()) TensorBytes.write(ch, t);
        });
        log.debug("wrote {}: {} tensors, {} data bytes", file, layout.size(), dataBytes);
    }
}
