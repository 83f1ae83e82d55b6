/*
 * A named collection of tensors on disk: one safetensors file or a sharded checkpoint. Callers that load
 * weights (llava weight maps, the CLI) use only this interface and never care how the checkpoint is split.
 *
 * Opening reads headers only; tensor(name) maps that tensor's bytes when asked, so opening a 14 GB checkpoint
 * is instant and memory use follows what is actually used. open(Path) accepts what people point at:
 *   - a .safetensors file;
 *   - a *.safetensors.index.json shard index ({"metadata": {...}, "weight_map": {name: shard file}});
 *   - a folder holding model.safetensors or model.safetensors.index.json (the single file wins when both
 *     exist, as in Hugging Face transformers).
 */
package dev.perennial.io;

import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A named collection of tensors on disk, one safetensors file or a sharded checkpoint: opening reads headers only, and
 * {@code tensor(name)} maps that tensor's bytes read-only when asked (zero copy). {@code open} accepts a
 * {@code .safetensors} file, a shard index or a checkpoint folder; {@code parameterCount} counts elements.
 * <p>Thread-safety is the implementation's; both implementations, {@link SafetensorsFile} and
 * {@link ShardedCheckpoint}, allow concurrent reads but not a concurrent {@code close()}.
 */
public interface TensorSource extends AutoCloseable {

    /** File name of a single-file checkpoint inside a checkpoint folder. */
    String SINGLE_FILE = "model.safetensors";
    /** File name of the shard index inside a sharded checkpoint folder. */
    String INDEX_FILE = "model.safetensors.index.json";

    /** Tensor names in storage order (see the implementation for the exact order). */
    List<String> names();

    boolean contains(String name);

    /** Header information of one tensor; NoSuchElementException for an unknown name. */
    TensorInfo info(String name);

    /**
     * The tensor, read-only and backed by a memory map of the file (zero copy). Each call maps afresh; the
     * tensor stays valid after this source is closed. NoSuchElementException for an unknown name.
     */
    Tensor tensor(String name) throws IOException;

    /** The free-form string metadata of the checkpoint (safetensors __metadata__ or the index's metadata). */
    Map<String, String> metadata();

    /** Sum of the element counts of all tensors. */
    default long parameterCount() {
        long n = 0;
        for (String name : names()) n += info(name).numel();
        return n;
    }

    @Override
    void close() throws IOException;

    /** Opens a .safetensors file, a shard index, or a checkpoint folder (see the class comment). */
    static TensorSource open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(SINGLE_FILE))) return SafetensorsFile.open(path.resolve(SINGLE_FILE));
            if (Files.isRegularFile(path.resolve(INDEX_FILE))) return ShardedCheckpoint.open(path.resolve(INDEX_FILE));
            throw new NoSuchFileException(path.toString(), null,
                    "folder holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such file or folder");
        if (path.getFileName().toString().endsWith(".json")) return ShardedCheckpoint.open(path);
        return SafetensorsFile.open(path);
    }
}
