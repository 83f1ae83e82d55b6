/*
 * The safetensors header: reading and validating it, and encoding it for the writer.
 *
 * File layout (https://github.com/huggingface/safetensors, spec-format):
 *   [u64 little-endian N] [N bytes of UTF-8 JSON, space padded] [data section]
 *   JSON = {"__metadata__": {string: string}?, name: {"dtype": "F32", "shape": [d0, ...],
 *           "data_offsets": [begin, end]}, ...}; offsets count from the start of the data section.
 *
 * Validation follows the reference Rust implementation (Metadata::validate and read_metadata), which is
 * stricter than "offsets inside the file": sorted by offset, the tensors must tile the data section exactly
 * (no overlaps, no holes, nothing left over), and end - begin must equal numel x element size. Every failure
 * is a TensorFormatException with a Defect. How out-of-file offsets are classified:
 *   - the tensors tile [0, E) but the data section is shorter than E: the file lost its tail -> TRUNCATED;
 *   - the tiling itself is broken and some tensor reaches past the data section -> OFFSET_OUT_OF_RANGE;
 *   - the tiling is broken inside the file -> OVERLAP or HOLE.
 * Only the header is read (the 8-byte length, then the N JSON bytes); the data section is never touched here.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * @param tensors   the tensors in data-section order (ascending begin)
 * @param metadata  the __metadata__ map (empty when absent), in header order
 * @param dataStart file position of the data section: 8 + N
 */
record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart) {

    /** Largest accepted header, as in the reference implementation (MAX_HEADER_SIZE). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    /** Reads and validates the header of the file open on {@code ch}. */
    static SafetensorsHeader read(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "file has " + size
                    + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ChannelIO.readFully(ch, prefix, 0, file);
        long n = prefix.getLong(0);
        if (n <= 0 || n > MAX_HEADER_BYTES) {
            throw new TensorFormatException(file, Defect.BAD_HEADER_LENGTH, "declared header length "
                    + Long.toUnsignedString(n) + " is not in 1.." + MAX_HEADER_BYTES + " bytes (100 MB)");
        }
        if (8 + n > size) {
            throw new TensorFormatException(file, Defect.TRUNCATED, "header of " + n + " bytes ends at byte "
                    + (8 + n) + ", past the end of the file (" + size + " bytes)");
        }
        byte[] json = new byte[(int) n];
        ChannelIO.readFully(ch, ByteBuffer.wrap(json), 8, file);
        JsonNode root = StrictJson.parseObject(json, file, "header");

        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(METADATA_KEY)) metadata = parseMetadata(e.getValue(), file);
            else tensors.add(parseEntry(e.getKey(), e.getValue(), file));
        }
        long dataStart = 8 + n;
        List<TensorInfo> ordered = validateLayout(tensors, size - dataStart, file);
        return new SafetensorsHeader(ordered, metadata, dataStart);
    }

    private static Map<String, String> parseMetadata(JsonNode node, Path file) throws TensorFormatException {
        if (!node.isObject()) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new TensorFormatException(file, Defect.BAD_HEADER, METADATA_KEY + " value of '" + e.getKey()
                        + "' is not a string: " + e.getValue());
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo parseEntry(String name, JsonNode node, Path file) throws TensorFormatException {
        if (!node.isObject()) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "entry '" + name + "' is not a JSON object");
        }
        JsonNode dtypeNode = required(node, "dtype", name, file);
        JsonNode shapeNode = required(node, "shape", name, file);
        JsonNode offsetsNode = required(node, "data_offsets", name, file);

        if (!dtypeNode.isTextual()) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "tensor '" + name + "' has a non-string dtype "
                    + dtypeNode);
        }
        DType dtype = dtype(dtypeNode.textValue());
        if (dtype == null) {
            throw new TensorFormatException(file, Defect.UNKNOWN_DTYPE, "tensor '" + name + "' has dtype '"
                    + dtypeNode.textValue() + "'; supported: " + Arrays.toString(DType.values()));
        }

        if (!shapeNode.isArray()) {
            throw new TensorFormatException(file, Defect.BAD_SHAPE, "tensor '" + name + "' has shape " + shapeNode
                    + ", not an array");
        }
        int[] shape = new int[shapeNode.size()];
        for (int d = 0; d < shape.length; d++) {
            JsonNode v = shapeNode.get(d);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw new TensorFormatException(file, Defect.BAD_SHAPE, "tensor '" + name + "' has shape " + shapeNode
                        + "; dimensions must be integers in 0.." + Integer.MAX_VALUE);
            }
            shape[d] = v.intValue();
        }
        long nbytes;
        try {
            nbytes = dtype.byteSize();
            for (int s : shape) nbytes = Math.multiplyExact(nbytes, s);
        } catch (ArithmeticException overflow) {
            throw new TensorFormatException(file, Defect.BAD_SHAPE, "tensor '" + name + "' with shape " + shapeNode
                    + " has more than 2^63 bytes");
        }

        if (!offsetsNode.isArray() || offsetsNode.size() != 2 || !isLong(offsetsNode.get(0))
                || !isLong(offsetsNode.get(1)) || offsetsNode.get(0).longValue() > offsetsNode.get(1).longValue()) {
            throw new TensorFormatException(file, Defect.BAD_OFFSETS, "tensor '" + name + "' has data_offsets "
                    + offsetsNode + "; expected [begin, end] with 0 <= begin <= end");
        }
        long begin = offsetsNode.get(0).longValue(), end = offsetsNode.get(1).longValue();
        if (end - begin != nbytes) {
            throw new TensorFormatException(file, Defect.SIZE_MISMATCH, "tensor '" + name + "' " + dtype + " "
                    + Arrays.toString(shape) + " needs " + nbytes + " bytes but data_offsets [" + begin + ", " + end
                    + "] span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonNode required(JsonNode entry, String key, String name, Path file) throws TensorFormatException {
        JsonNode v = entry.get(key);
        if (v == null) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "tensor '" + name + "' has no \"" + key + "\"");
        }
        return v;
    }

    private static boolean isLong(JsonNode v) {
        return v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0;
    }

    /**
     * Sorts by offset and checks that the tensors tile the data section of {@code dataLength} bytes
     * (see the class comment for how each failure is classified).
     */
    private static List<TensorInfo> validateLayout(List<TensorInfo> tensors, long dataLength, Path file)
            throws TensorFormatException {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        TensorInfo previous = null;
        TensorFormatException tiling = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < cursor) {
                tiling = new TensorFormatException(file, Defect.OVERLAP, "tensor '" + t.name() + "' at ["
                        + t.begin() + ", " + t.end() + ") overlaps '" + previous.name() + "' at [" + previous.begin()
                        + ", " + previous.end() + ")");
                break;
            }
            if (t.begin() > cursor) {
                tiling = new TensorFormatException(file, Defect.HOLE, "bytes [" + cursor + ", " + t.begin()
                        + ") of the data section, before tensor '" + t.name() + "', belong to no tensor");
                break;
            }
            cursor = t.end();
            previous = t;
        }
        if (tiling == null) {
            if (cursor > dataLength) {
                throw new TensorFormatException(file, Defect.TRUNCATED, "data section has " + dataLength
                        + " bytes but the tensors need " + cursor);
            }
            if (cursor < dataLength) {
                throw new TensorFormatException(file, Defect.HOLE, "the last " + (dataLength - cursor)
                        + " bytes of the data section belong to no tensor");
            }
            return Collections.unmodifiableList(sorted);
        }
        for (TensorInfo t : sorted) {
            if (t.end() > dataLength) {
                throw new TensorFormatException(file, Defect.OFFSET_OUT_OF_RANGE, "tensor '" + t.name()
                        + "' at [" + t.begin() + ", " + t.end() + ") reaches past the data section of "
                        + dataLength + " bytes");
            }
        }
        throw tiling;
    }

    /** The DType of a safetensors dtype string, or null. DType constants carry the safetensors names. */
    static DType dtype(String name) {
        for (DType t : DType.values()) {
            if (t.name().equals(name)) return t;
        }
        return null;
    }

    /**
     * The complete header of a file holding {@code tensors} (whose offsets are already assigned): the u64
     * length followed by the JSON, space padded so that the data section starts at a multiple of 8.
     */
    static ByteBuffer encode(List<TensorInfo> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = StrictJson.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(METADATA_KEY);
            metadata.forEach(m::put);
        }
        for (TensorInfo t : tensors) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (int s : t.shape()) shape.add(s);
            e.putArray("data_offsets").add(t.begin()).add(t.end());
        }
        byte[] json = StrictJson.MAPPER.writeValueAsBytes(root);
        int padded = (json.length + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.flip();
    }
}
