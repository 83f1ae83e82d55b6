/*
 * Writes tensors to a .safetensors file that the reference implementation (and SafetensorsFile) reads.
 *
 * Layout: tensors are stored in the iteration order of the given map (pass a LinkedHashMap or TreeMap), each
 * right after the previous one, so they tile the data section as the format requires. The reference Rust
 * writer orders by dtype then name; the format does not require that, and keeping the caller's order lets a
 * checkpoint list parameters in module order. The header JSON is space padded so the data section starts at
 * a multiple of 8. Data is little-endian, row-major; views are written in logical order (TensorBytes).
 * The file is replaced atomically (AtomicFiles): a crash leaves the old file or none, never half of one.
 */
package dev.perennial.io;

import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
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
