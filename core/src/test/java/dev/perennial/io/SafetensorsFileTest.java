/*
 * SafetensorsFile: reading hand-built files, and one test per rule a malformed file can break. Every file is
 * assembled byte by byte here (u64 LE header length, JSON, data), independent of SafetensorsWriter.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static dev.perennial.io.FormatAssertions.assertDefect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file with header {@code json} (single quotes stand for double quotes) and {@code data}. */
    private Path file(String json, byte[] data) throws IOException {
        byte[] header = json.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return Files.write(dir.resolve("t.safetensors"), b.array());
    }

    private Path file(String json, int dataBytes) throws IOException {
        return file(json, new byte[dataBytes]);
    }

    /** A file whose first 8 bytes declare header length {@code n}, followed by {@code rest} bytes. */
    private Path withHeaderLength(long n, int rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n);
        return Files.write(dir.resolve("t.safetensors"), b.array());
    }

    private static void open(Path p) throws IOException {
        SafetensorsFile.open(p).close();
    }

    // ------------------------------------------------------------------------------------------- valid files

    @Test
    void readsEveryDtypeWithExactValues() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        d.putDouble(-1.0 / 3);                                              // F64 [1]      [0, 8)
        d.putFloat(1.5f).putFloat(-0f).putFloat(Float.MIN_VALUE).putFloat(3e38f); // F32 [2,2] [8, 24)
        d.putShort(Half.floatToF16(65504f)).putShort(Half.floatToF16(1e-3f));    // F16 [2]  [24, 28)
        d.putShort((short) 0x3f80).putShort((short) 0xc040);               // BF16 [2] = 1, -3  [28, 32)
        d.putLong(1L << 40);                                                // I64 [1]      [32, 40)
        d.putInt(-7).putInt(Integer.MAX_VALUE);                             // I32 [2]      [40, 48)
        d.putShort((short) -300).putShort((short) 300);                     // I16 [2]      [48, 52)
        d.put((byte) -5).put((byte) 250);                                   // I8 [1], U8 [1] [52, 53), [53, 54)
        d.put((byte) 1).put((byte) 0);                                      // BOOL [2]     [54, 56)
        Path p = file("{'__metadata__': {'format': 'pt', 'note': 'x'},"
                + "'f64': {'dtype': 'F64', 'shape': [1], 'data_offsets': [0, 8]},"
                + "'f32': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [8, 24]},"
                + "'f16': {'dtype': 'F16', 'shape': [2], 'data_offsets': [24, 28]},"
                + "'bf16': {'dtype': 'BF16', 'shape': [2], 'data_offsets': [28, 32]},"
                + "'i64': {'dtype': 'I64', 'shape': [1], 'data_offsets': [32, 40]},"
                + "'i32': {'dtype': 'I32', 'shape': [2], 'data_offsets': [40, 48]},"
                + "'i16': {'dtype': 'I16', 'shape': [2], 'data_offsets': [48, 52]},"
                + "'i8': {'dtype': 'I8', 'shape': [1], 'data_offsets': [52, 53]},"
                + "'u8': {'dtype': 'U8', 'shape': [], 'data_offsets': [53, 54]},"
                + "'bool': {'dtype': 'BOOL', 'shape': [2], 'data_offsets': [54, 56]}}", d.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt", "note", "x"), f.metadata());
            assertEquals(List.of("f64", "f32", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool"), f.names());
            assertEquals(-1.0 / 3, f.tensor("f64").storage().getDouble(0));
            Tensor f32 = f.tensor("f32");
            assertArrayEquals(new int[]{2, 2}, f32.shape());
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f32.getFloat(0, 1)));
            assertEquals(Float.MIN_VALUE, f32.getFloat(1, 0));
            assertEquals(3e38f, f32.getFloat(1, 1));
            assertEquals(65504f, f.tensor("f16").getFloat(0));
            assertEquals(Half.f16ToFloat(Half.floatToF16(1e-3f)), f.tensor("f16").getFloat(1));
            assertArrayEquals(new float[]{1f, -3f}, f.tensor("bf16").toFloatArray());
            assertEquals(1L << 40, f.tensor("i64").getLong(0));
            assertArrayEquals(new long[]{-7, Integer.MAX_VALUE}, f.tensor("i32").toLongArray());
            assertArrayEquals(new long[]{-300, 300}, f.tensor("i16").toLongArray());
            assertEquals(-5, f.tensor("i8").getLong(0));
            Tensor u8 = f.tensor("u8");
            assertEquals(0, u8.rank());
            assertEquals(250, u8.storage().getLong(0));
            assertArrayEquals(new long[]{1, 0}, f.tensor("bool").toLongArray());
            assertEquals(new TensorInfo("i32", DType.I32, new int[]{2}, 40, 48), f.info("i32"));
            assertEquals(Files.size(p) - 56, f.dataStart());
        }
    }

    @Test
    void namesFollowTheDataOrderNotTheHeaderOrder() throws IOException {
        Path p = file("{'b': {'dtype': 'U8', 'shape': [2], 'data_offsets': [2, 4]},"
                + "'empty': {'dtype': 'F32', 'shape': [0, 3], 'data_offsets': [2, 2]},"
                + "'a': {'dtype': 'U8', 'shape': [2], 'data_offsets': [0, 2]}}", new byte[]{1, 2, 3, 4});
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("a", "empty", "b"), f.names());
            assertArrayEquals(new long[]{3, 4}, f.tensor("b").toLongArray());
            assertArrayEquals(new int[]{0, 3}, f.tensor("empty").shape());
            assertEquals(0, f.tensor("empty").numel());
            assertEquals(Map.of(), f.metadata());
            assertEquals(4, f.parameterCount());
        }
    }

    @Test
    void tensorsAreReadOnlyMemoryMaps() throws IOException {
        Path p = file("{'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Tensor w = f.tensor("w");
            assertTrue(w.storage().isReadOnly());
            assertInstanceOf(MappedByteBuffer.class, w.storage().owner());
            assertThrows(IllegalStateException.class, () -> w.copyFrom(Tensor.of(new float[]{1, 2}, 2)));
            assertThrows(NoSuchElementException.class, () -> f.tensor("v"));
        }
    }

    @Test
    void tensorsOutliveTheFileAndClosedFilesRefuseNewTensors() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2.5f).putFloat(-1f);
        Path p = file("{'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}", data.array());
        SafetensorsFile f = SafetensorsFile.open(p);
        Tensor w = f.tensor("w");
        f.close();
        assertArrayEquals(new float[]{2.5f, -1f}, w.toFloatArray());
        assertThrows(IllegalStateException.class, () -> f.tensor("w"));
    }

    @Test
    void opensA14GigabyteCheckpointWithoutReadingItsData(@TempDir Path big) throws IOException {
        // 7 tensors of 2e9 bytes in a sparse file: reading the data would take far longer (and more heap) than
        // the time allowed, so this fails if open() or tensor() touch more than the header and one page.
        StringBuilder json = new StringBuilder("{");
        long tensorBytes = 2_000_000_000L;
        for (int i = 0; i < 7; i++) {
            json.append(i == 0 ? "" : ",").append("\"t").append(i).append("\": {\"dtype\": \"U8\", \"shape\": [")
                    .append(tensorBytes).append("], \"data_offsets\": [").append(i * tensorBytes).append(", ")
                    .append((i + 1) * tensorBytes).append("]}");
        }
        byte[] header = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path p = big.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.setLength(8 + header.length + 7 * tensorBytes);
        }
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            try (TensorSource s = TensorSource.open(big)) {
                assertEquals(14_000_000_000L, s.parameterCount());
                Tensor last = s.tensor("t6");
                assertEquals(0, last.getLong((int) tensorBytes - 1));
            }
        });
    }

    @Test
    void aTensorOver2GiBIsAClearErrorWhenMapped() throws IOException {
        long n = 1L << 31;
        byte[] header = ("{\"huge\": {\"dtype\": \"U8\", \"shape\": [2, " + n / 2 + "], \"data_offsets\": [0, " + n + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.setLength(8 + header.length + n);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(n, f.info("huge").byteLength());
            assertDefect(Defect.TENSOR_TOO_LARGE, p, "'huge'", () -> f.tensor("huge"));
        }
    }

    @Test
    void aFileTruncatedAfterOpeningIsReportedNotMapped() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
                + "'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [8, 16]}}", 16);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(p) - 4);
            }
            assertEquals(2, f.tensor("a").numel());
            assertDefect(Defect.TRUNCATED, p, "'b'", () -> f.tensor("b"));
        }
    }

    // ------------------------------------------------------------------------------------------- malformed

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path p = Files.write(dir.resolve("t.safetensors"), new byte[]{1, 2, 3});
        assertDefect(Defect.TRUNCATED, p, () -> open(p));
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path p = withHeaderLength(1000, 10);
        assertDefect(Defect.TRUNCATED, p, "past the end of the file", () -> open(p));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 100_000_001, -1, Long.MIN_VALUE})
    void headerLengthZeroNegativeOrOver100MB(long n) throws IOException {
        // checked before the file size, so a small file declaring a huge header is enough
        Path p = withHeaderLength(n, 16);
        assertDefect(Defect.BAD_HEADER_LENGTH, p, Long.toUnsignedString(n), () -> open(p));
    }

    @Test
    void headerIsNotJson() throws IOException {
        Path p = file("this is not json", 0);
        assertDefect(Defect.BAD_HEADER, p, "not valid JSON", () -> open(p));
    }

    @Test
    void headerIsJsonButNotAnObject() throws IOException {
        Path p = file("[1, 2]", 0);
        assertDefect(Defect.BAD_HEADER, p, "not a JSON object", () -> open(p));
    }

    @Test
    void headerHasTrailingGarbage() throws IOException {
        Path p = file("{} {}", 0);
        assertDefect(Defect.BAD_HEADER, p, () -> open(p));
    }

    @Test
    void headerIsNotUtf8() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(4)
                .put(new byte[]{'{', (byte) 0xff, (byte) 0xfe, '}'});
        Path p = Files.write(dir.resolve("t.safetensors"), b.array());
        assertDefect(Defect.BAD_HEADER, p, "UTF-8", () -> open(p));
    }

    @Test
    void duplicateTensorNames() throws IOException {
        Path p = file("{'w': {'dtype': 'U8', 'shape': [1], 'data_offsets': [0, 1]},"
                + "'w': {'dtype': 'U8', 'shape': [1], 'data_offsets': [1, 2]}}", 2);
        assertDefect(Defect.DUPLICATE_NAME, p, "'w'", () -> open(p));
    }

    @Test
    void unknownDtypeNamesTheDtypeAndTheTensor() throws IOException {
        Path p = file("{'w': {'dtype': 'Q4', 'shape': [2], 'data_offsets': [0, 1]}}", 1);
        TensorFormatException e = assertDefect(Defect.UNKNOWN_DTYPE, p, () -> open(p));
        assertTrue(e.detail().contains("'Q4'") && e.detail().contains("'w'"), e.getMessage());
    }

    @Test
    void metadataValueIsNotAString() throws IOException {
        Path p = file("{'__metadata__': {'step': 3}}", 0);
        assertDefect(Defect.BAD_HEADER, p, "'step'", () -> open(p));
    }

    @Test
    void entryLacksDtype() throws IOException {
        Path p = file("{'w': {'shape': [1], 'data_offsets': [0, 4]}}", 4);
        assertDefect(Defect.BAD_HEADER, p, "\"dtype\"", () -> open(p));
    }

    @Test
    void entryIsNotAnObject() throws IOException {
        Path p = file("{'w': [0, 4]}", 4);
        assertDefect(Defect.BAD_HEADER, p, "'w'", () -> open(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[2, -1]", "[2.5]", "['2']", "2", "[4294967296]"})
    void invalidShape(String shape) throws IOException {
        Path p = file("{'w': {'dtype': 'U8', 'shape': " + shape + ", 'data_offsets': [0, 2]}}", 2);
        assertDefect(Defect.BAD_SHAPE, p, "'w'", () -> open(p));
    }

    @Test
    void shapeWhoseByteCountOverflows() throws IOException {
        Path p = file("{'w': {'dtype': 'F64', 'shape': [2147483647, 2147483647, 2147483647], 'data_offsets': [0, 8]}}", 8);
        assertDefect(Defect.BAD_SHAPE, p, "2^63", () -> open(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[8, 0]", "[0, 4, 8]", "[0]", "[-4, 4]", "[0, 8.0]", "'0-8'"})
    void invalidDataOffsets(String offsets) throws IOException {
        Path p = file("{'w': {'dtype': 'U8', 'shape': [8], 'data_offsets': " + offsets + "}}", 8);
        assertDefect(Defect.BAD_OFFSETS, p, "'w'", () -> open(p));
    }

    @Test
    void byteRangeDoesNotMatchShape() throws IOException {
        Path p = file("{'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 20]}}", 20);
        assertDefect(Defect.SIZE_MISMATCH, p, "needs 24 bytes", () -> open(p));
    }

    @Test
    void overlappingTensors() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
                + "'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}", 12);
        assertDefect(Defect.OVERLAP, p, "'b' at [4, 12) overlaps 'a'", () -> open(p));
    }

    @Test
    void holeBetweenTensors() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
                + "'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [12, 20]}}", 20);
        assertDefect(Defect.HOLE, p, "[8, 12)", () -> open(p));
    }

    @Test
    void holeBeforeTheFirstTensor() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}", 12);
        assertDefect(Defect.HOLE, p, "[0, 4)", () -> open(p));
    }

    @Test
    void bytesAfterTheLastTensor() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}", 12);
        assertDefect(Defect.HOLE, p, "last 4 bytes", () -> open(p));
    }

    @Test
    void dataSectionShorterThanTheTensorsNeed() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
                + "'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [8, 16]}}", 12);
        assertDefect(Defect.TRUNCATED, p, "has 12 bytes but the tensors need 16", () -> open(p));
    }

    @Test
    void offsetsOutsideTheDataSection() throws IOException {
        Path p = file("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
                + "'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [1024, 1032]}}", 16);
        assertDefect(Defect.OFFSET_OUT_OF_RANGE, p, "'b' at [1024, 1032)", () -> open(p));
    }

    @Test
    void controlCharactersInNamesDoNotBreakTheOneLineMessage() throws IOException {
        Path p = file("{'bad\\nname': {'dtype': 'Q4', 'shape': [1], 'data_offsets': [0, 1]}}", 1);
        assertDefect(Defect.UNKNOWN_DTYPE, p, "'bad name'", () -> open(p));
    }
}
