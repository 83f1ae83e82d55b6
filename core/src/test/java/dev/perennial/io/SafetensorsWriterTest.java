/*
 * SafetensorsWriter: bit-exact round trips of every dtype and view kind, the on-disk layout checked from
 * raw bytes, and atomic replacement.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDtypeAndEveryKindOfViewBitExactly() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            TestTensors.views(d).forEach((kind, t) -> tensors.put(d + "." + kind, t));
        }
        Path p = dir.resolve("all.safetensors");
        Map<String, String> metadata = Map.of("format", "pt", "step", "7");
        SafetensorsWriter.write(p, tensors, metadata);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(new ArrayList<>(tensors.keySet()), f.names());
            assertEquals(metadata, f.metadata());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor back = f.tensor(e.getKey());
                assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                assertArrayEquals(TestTensors.logicalBytes(e.getValue()), TestTensors.logicalBytes(back), e.getKey());
            }
        }
    }

    @Test
    void layoutIsPaddedHeaderThenLittleEndianRowMajorData() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.of(new float[]{1f, -2.5f, 3f, 4f}, 2, 2).transpose(0, 1));
        tensors.put("b", Tensor.ofLongs(new long[]{1L << 40}, 1));
        Path p = dir.resolve("layout.safetensors");
        SafetensorsWriter.write(p, tensors, Map.of("format", "pt"));

        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) raw.getLong(0);
        assertEquals(0, n % 8, "data section starts at a multiple of 8");
        String header = new String(raw.array(), 8, n, StandardCharsets.UTF_8);
        assertTrue(header.strip().endsWith("}") && header.substring(header.strip().length()).isBlank(), header);
        JsonNode json = new ObjectMapper().readTree(header);
        assertEquals(List.of("__metadata__", "a", "b"), iterate(json.fieldNames()));
        assertEquals("pt", json.at("/__metadata__/format").asText());
        assertEquals("F32", json.at("/a/dtype").asText());
        assertEquals("[2,2]", json.at("/a/shape").toString());
        assertEquals("[0,16]", json.at("/a/data_offsets").toString());
        assertEquals("I64", json.at("/b/dtype").asText());
        assertEquals("[16,24]", json.at("/b/data_offsets").toString());
        assertEquals(8 + n + 24, raw.capacity());
        int data = 8 + n;
        assertEquals(1f, raw.getFloat(data));            // transposed: [[1, 3], [-2.5, 4]]
        assertEquals(3f, raw.getFloat(data + 4));
        assertEquals(-2.5f, raw.getFloat(data + 8));
        assertEquals(4f, raw.getFloat(data + 12));
        assertEquals(1L << 40, raw.getLong(data + 16));
    }

    private static List<String> iterate(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void overwritingReplacesTheFileAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("m.safetensors");
        SafetensorsWriter.write(p, Map.of("a", Tensor.of(new float[]{1, 2}, 2)), Map.of());
        SafetensorsWriter.write(p, Map.of("b", Tensor.of(new float[]{5}, 1)), Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("b"), f.names());
            assertEquals(5f, f.tensor("b").getFloat(0));
        }
        assertEquals(List.of(p), listDir());
    }

    @Test
    void aFailedWriteLeavesTheOldFileIntact() throws IOException {
        Path p = dir.resolve("m.safetensors");
        SafetensorsWriter.write(p, Map.of("a", Tensor.of(new float[]{1, 2}, 2)), Map.of());
        byte[] before = Files.readAllBytes(p);
        Tensor freed = Tensor.of(new float[]{3}, 1);
        freed.close();
        Map<String, Tensor> failing = new LinkedHashMap<>();
        failing.put("a", Tensor.of(new float[]{7, 8}, 2));      // written to the temporary file first
        failing.put("freed", freed);                            // then this fails mid-write
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(p, failing, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), listDir());
    }

    @Test
    void theMetadataKeyIsNotATensorName() {
        Path p = dir.resolve("m.safetensors");
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(p, Map.of("__metadata__", Tensor.scalar(1)), Map.of()));
        assertTrue(Files.notExists(p));
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
