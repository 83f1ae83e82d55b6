/*
 * A checkpoint split over several safetensors files, described by a shard index
 * (model.safetensors.index.json, as written by Hugging Face transformers' save_pretrained):
 *   {"metadata": {"total_size": 13476839424, ...}, "weight_map": {tensor name: shard file name, ...}}
 *
 * Opening reads the index and every shard's header (not their data) and cross-checks them, so a broken
 * download is reported up front rather than at the first missing tensor:
 *   - a shard path must stay inside the index's folder (no "../x", no absolute path; checked lexically on
 *     the normalized path)                                              -> SHARD_OUTSIDE_FOLDER
 *   - every shard named by the index must exist                         -> MISSING_SHARD
 *   - no tensor may be stored in two shards                             -> DUPLICATE_NAME
 *   - each listed tensor must be in the shard the index names, and every tensor in a shard must be listed
 *                                                                       -> INDEX_MISMATCH
 * Index metadata values may be any JSON (total_size is a number); they are exposed as strings (scalars as
 * their text, objects and arrays as JSON).
 *
 * Names are listed shard by shard (shards in order of first mention in the weight_map), each in its data
 * order, which is the order a sequential reader touches the disk.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A checkpoint split over several safetensors files by a shard index ({@code model.safetensors.index.json}):
 * {@code open} reads the index and every shard's header and cross-checks them (shards inside the folder and present,
 * each tensor in exactly the shard listed); tensors are then mapped lazily from their shard.
 * <p>Thread-safe for reads: its fields are final, its maps and lists are built before construction and only read, and
 * its shards are thread-safe {@code SafetensorsFile}s; {@code close()} must not run while another thread reads.
 */
public final class ShardedCheckpoint implements TensorSource {
    private final Path index;
    private final Map<String, String> metadata;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> shardOf;
    private final List<String> names;

    private ShardedCheckpoint(Path index, Map<String, String> metadata, List<SafetensorsFile> shards,
                              Map<String, SafetensorsFile> shardOf) {
        this.index = index;
        this.metadata = metadata;
        this.shards = shards;
        this.shardOf = shardOf;
        List<String> n = new ArrayList<>(shardOf.size());
        for (SafetensorsFile s : shards) n.addAll(s.names());
        this.names = Collections.unmodifiableList(n);
    }

    /** Opens the checkpoint described by the shard index {@code indexFile}. */
    public static ShardedCheckpoint open(Path indexFile) throws IOException {
        long size = Files.size(indexFile);
        if (size > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new TensorFormatException(indexFile, Defect.BAD_HEADER, "shard index has " + size
                    + " bytes, more than the " + SafetensorsHeader.MAX_HEADER_BYTES + " accepted");
        }
        JsonNode root = StrictJson.parseObject(Files.readAllBytes(indexFile), indexFile, "shard index");
        Map<String, String> metadata = parseMetadata(root.get("metadata"), indexFile);
        Map<String, String> weightMap = parseWeightMap(root.get("weight_map"), indexFile);

        Path folder = indexFile.toAbsolutePath().normalize().getParent();
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (!shardPaths.containsKey(e.getValue())) {
                shardPaths.put(e.getValue(), resolveShard(folder, e.getValue(), e.getKey(), indexFile));
            }
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byShardName = new HashMap<>();
            for (Map.Entry<String, Path> e : shardPaths.entrySet()) {
                SafetensorsFile s = SafetensorsFile.open(e.getValue());
                opened.add(s);
                byShardName.put(e.getKey(), s);
            }
            Map<String, SafetensorsFile> located = locate(opened, indexFile);
            checkAgainstIndex(weightMap, byShardName, located, indexFile);
            return new ShardedCheckpoint(indexFile, metadata, Collections.unmodifiableList(opened), located);
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile s : opened) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static Map<String, String> parseMetadata(JsonNode node, Path indexFile) throws TensorFormatException {
        if (node == null) return Map.of();
        if (!node.isObject()) {
            throw new TensorFormatException(indexFile, Defect.BAD_HEADER, "\"metadata\" is not a JSON object");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            m.put(e.getKey(), v.isValueNode() ? v.asText() : v.toString());
        }
        return Collections.unmodifiableMap(m);
    }

    private static Map<String, String> parseWeightMap(JsonNode node, Path indexFile) throws TensorFormatException {
        if (node == null || !node.isObject()) {
            throw new TensorFormatException(indexFile, Defect.BAD_HEADER, "\"weight_map\" is missing or not a JSON object");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new TensorFormatException(indexFile, Defect.BAD_HEADER, "weight_map entry '" + e.getKey()
                        + "' is not a file name: " + e.getValue());
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return m;
    }

    private static Path resolveShard(Path folder, String shard, String tensor, Path indexFile)
            throws TensorFormatException {
        Path relative;
        try {
            relative = folder.getFileSystem().getPath(shard);
        } catch (InvalidPathException e) {
            throw new TensorFormatException(indexFile, Defect.BAD_HEADER, "shard name '" + shard
                    + "' is not a valid path", e);
        }
        Path resolved = folder.resolve(relative).normalize();
        if (relative.isAbsolute() || !resolved.startsWith(folder) || resolved.equals(folder)) {
            throw new TensorFormatException(indexFile, Defect.SHARD_OUTSIDE_FOLDER, "shard '" + shard
                    + "' (for tensor '" + tensor + "') is not a file inside " + folder);
        }
        if (!Files.isRegularFile(resolved)) {
            throw new TensorFormatException(indexFile, Defect.MISSING_SHARD, "shard '" + shard + "' (for tensor '"
                    + tensor + "') does not exist");
        }
        return resolved;
    }

    /** Which shard actually stores each tensor; a tensor in two shards is an error. */
    private static Map<String, SafetensorsFile> locate(List<SafetensorsFile> shards, Path indexFile)
            throws TensorFormatException {
        Map<String, SafetensorsFile> located = new HashMap<>();
        for (SafetensorsFile s : shards) {
            for (String name : s.names()) {
                SafetensorsFile other = located.putIfAbsent(name, s);
                if (other != null) {
                    throw new TensorFormatException(indexFile, Defect.DUPLICATE_NAME, "tensor '" + name
                            + "' is stored in both " + other.file().getFileName() + " and " + s.file().getFileName());
                }
            }
        }
        return located;
    }

    private static void checkAgainstIndex(Map<String, String> weightMap, Map<String, SafetensorsFile> byShardName,
                                          Map<String, SafetensorsFile> located, Path indexFile)
            throws TensorFormatException {
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            SafetensorsFile actual = located.get(e.getKey());
            if (actual != byShardName.get(e.getValue())) {
                throw new TensorFormatException(indexFile, Defect.INDEX_MISMATCH, "tensor '" + e.getKey()
                        + "' is listed in shard '" + e.getValue() + "' but absent from it"
                        + (actual == null ? "" : " (it is in " + actual.file().getFileName() + ")"));
            }
        }
        for (Map.Entry<String, SafetensorsFile> e : located.entrySet()) {
            if (!weightMap.containsKey(e.getKey())) {
                throw new TensorFormatException(indexFile, Defect.INDEX_MISMATCH, "shard "
                        + e.getValue().file().getFileName() + " holds tensor '" + e.getKey()
                        + "', which the index does not list");
            }
        }
    }

    /** The shard index file. */
    public Path index() { return index; }

    /** The shard files, in order of first mention in the index. */
    public List<Path> shards() {
        List<Path> p = new ArrayList<>(shards.size());
        for (SafetensorsFile s : shards) p.add(s.file());
        return p;
    }

    /** The shard file that stores {@code name}. */
    public Path shardOf(String name) { return shard(name).file(); }

    /** Names shard by shard, each shard in data order. */
    @Override
    public List<String> names() { return names; }

    @Override
    public boolean contains(String name) { return shardOf.containsKey(name); }

    @Override
    public TensorInfo info(String name) { return shard(name).info(name); }

    @Override
    public Tensor tensor(String name) throws IOException { return shard(name).tensor(name); }

    /** The index's metadata (values as strings). */
    @Override
    public Map<String, String> metadata() { return metadata; }

    private SafetensorsFile shard(String name) {
        SafetensorsFile s = shardOf.get(name);
        if (s == null) throw new NoSuchElementException("no tensor '" + name + "' in " + index);
        return s;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile s : shards) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() { return "ShardedCheckpoint(" + index + ", " + shards.size() + " shards)"; }
}
