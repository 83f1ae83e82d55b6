/*
 * Npy: round trips of every dtype numpy shares with DType (including views), the header numpy writes,
 * version 2.0 and Fortran-order reading from hand-built files, and one test per malformed-file rule.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.perennial.io.FormatAssertions.assertDefect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file of version major.minor with header dictionary {@code dict} and {@code data}. */
    private Path npy(int major, int minor, String dict, byte[] data) throws IOException {
        byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, (byte) minor});
        if (major == 1) b.putShort((short) h.length);
        else b.putInt(h.length);
        b.put(h).put(data);
        return Files.write(dir.resolve("a.npy"), b.array());
    }

    private Path npy(String dict, int dataBytes) throws IOException {
        return npy(1, 0, dict, new byte[dataBytes]);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = "BF16")
    void roundTripsEveryDtypeAndViewBitExactly(DType dtype) throws IOException {
        for (Map.Entry<String, Tensor> e : TestTensors.views(dtype).entrySet()) {
            Path p = dir.resolve(e.getKey() + ".npy");
            Npy.write(p, e.getValue());
            Tensor back = Npy.read(p);
            assertEquals(dtype, back.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            assertArrayEquals(TestTensors.logicalBytes(e.getValue()), TestTensors.logicalBytes(back), e.getKey());
        }
    }

    @Test
    void writesTheHeaderNumpyWrites() throws IOException {
        Path p = dir.resolve("v.npy");
        Npy.write(p, Tensor.of(new float[]{1.5f, -2f, 0f}, 3));
        byte[] raw = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("\u0093NUMPY\u0001\u0000", new String(raw, 0, 8, StandardCharsets.ISO_8859_1));
        int headerLength = b.getShort(8) & 0xffff;
        assertEquals(0, (10 + headerLength) % 64);
        String header = new String(raw, 10, headerLength, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header.stripTrailing());
        assertTrue(header.endsWith(" \n"));
        assertEquals(10 + headerLength + 12, raw.length);
        assertEquals(1.5f, b.getFloat(10 + headerLength));
        assertEquals(-2f, b.getFloat(10 + headerLength + 4));
    }

    @Test
    void writesScalarAndMatrixShapesAsPythonTuples() throws IOException {
        Path p = dir.resolve("s.npy");
        Npy.write(p, Tensor.ofLongs(new long[]{1, 2, 3, 4, 5, 6}, 2, 3));
        assertTrue(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("'shape': (2, 3), }"));
        Npy.write(p, Tensor.scalar(1f));
        assertTrue(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("'shape': (), }"));
    }

    @Test
    void bfloat16HasNoNumpyEquivalent() {
        Path p = dir.resolve("b.npy");
        assertThrows(IllegalArgumentException.class, () -> Npy.write(p, Tensor.zeros(DType.BF16, 2)));
        assertTrue(Files.notExists(p));
    }

    @Test
    void readsVersion2() throws IOException {
        byte[] data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).putLong(1L << 50).array();
        Path p = npy(2, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", data);
        assertArrayEquals(new long[]{-3, 1L << 50}, Npy.read(p).toLongArray());
    }

    @Test
    void readsFortranOrderAsATransposedView() throws IOException {
        // a[i][j] = 10 i + j for shape (2, 3), stored column-major: a00 a10 a01 a11 a02 a12
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[]{0, 10, 1, 11, 2, 12}) data.putFloat(v);
        Path p = npy(1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data.array());
        Tensor a = Npy.read(p);
        assertArrayEquals(new int[]{2, 3}, a.shape());
        assertArrayEquals(new float[]{0, 1, 2, 10, 11, 12}, a.toFloatArray());
    }

    @Test
    void acceptsTheSpacingAndQuotingVariantsOfPythonRepr() throws IOException {
        Path p = npy("{\"shape\":(2,1),\"fortran_order\":False,\"descr\":\"|u1\"}\n", 2);
        assertArrayEquals(new int[]{2, 1}, Npy.read(p).shape());
    }

    // ------------------------------------------------------------------------------------------- malformed

    @Test
    void badMagic() throws IOException {
        Path p = Files.write(dir.resolve("a.npy"), "PK\u0003\u0004 zip, not npy".getBytes(StandardCharsets.ISO_8859_1));
        assertDefect(Defect.BAD_MAGIC, p, () -> Npy.read(p));
    }

    @Test
    void fileShorterThanTheMagic() throws IOException {
        Path p = Files.write(dir.resolve("a.npy"), new byte[]{(byte) 0x93, 'N'});
        assertDefect(Defect.BAD_MAGIC, p, () -> Npy.read(p));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0300, 0x0101, 0x0000})
    void unsupportedVersion(int version) throws IOException {
        Path p = npy(version >> 8, version & 0xff, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        assertDefect(Defect.UNSUPPORTED_VERSION, p, (version >> 8) + "." + (version & 0xff), () -> Npy.read(p));
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) 118).put((byte) '{').put((byte) '}');
        Path p = Files.write(dir.resolve("a.npy"), b.array());
        assertDefect(Defect.TRUNCATED, p, "past the end of the file", () -> Npy.read(p));
    }

    @Test
    void headerLengthOverTheLimit() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(Integer.MAX_VALUE);
        Path p = Files.write(dir.resolve("a.npy"), b.array());
        assertDefect(Defect.BAD_HEADER_LENGTH, p, "2147483647", () -> Npy.read(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ",      // unterminated
            "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",        // missing comma
            "{'descr': '<f4', 'fortran_order': None, 'shape': (1,)}",        // not a literal we read
            "['descr', '<f4']",                                              // not a dict
            "{'descr': '<f4', 'shape': (1,)}",                               // missing key
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", // extra key
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",           // not a bool
            "{'descr': '<\\f4', 'fortran_order': False, 'shape': (1,)}",     // escape sequence
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} extra"  // trailing text
    })
    void malformedHeader(String dict) throws IOException {
        Path p = npy(dict, 4);
        assertDefect(Defect.BAD_HEADER, p, () -> Npy.read(p));
    }

    @Test
    void duplicateHeaderKey() throws IOException {
        Path p = npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", 4);
        assertDefect(Defect.DUPLICATE_NAME, p, "'descr'", () -> Npy.read(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"(2)", "[2]", "(2, -1)", "(4294967296,)", "('2',)"})
    void invalidShape(String shape) throws IOException {
        Path p = npy("{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }", 2);
        assertDefect(Defect.BAD_SHAPE, p, () -> Npy.read(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"<c8", ">f4", "<U3", "<f16"})
    void unknownDescr(String descr) throws IOException {
        Path p = npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }", 8);
        assertDefect(Defect.UNKNOWN_DTYPE, p, "'" + descr + "'", () -> Npy.read(p));
    }

    @Test
    void structuredDescr() throws IOException {
        Path p = npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4);
        assertDefect(Defect.UNKNOWN_DTYPE, p, "structured", () -> Npy.read(p));
    }

    @Test
    void pickledObjectArray() throws IOException {
        Path p = npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16);
        assertDefect(Defect.PICKLED_OBJECTS, p, "'|O'", () -> Npy.read(p));
    }

    @Test
    void truncatedData() throws IOException {
        Path p = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20);
        assertDefect(Defect.TRUNCATED, p, "needs 24 bytes of data, the file has 20", () -> Npy.read(p));
    }

    @Test
    void dataLongerThanTheShape() throws IOException {
        Path p = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 24);
        assertDefect(Defect.SIZE_MISMATCH, p, "needs 16 bytes of data, the file has 24", () -> Npy.read(p));
    }

    // ------------------------------------------------------------------------------------------- layout

    /** layout() reports what read() would read, and where, without the 2 GiB limit of one tensor. */
    @Test
    void layoutSaysWhereTheDataIs() throws IOException {
        Path p = dir.resolve("m.npy");
        Npy.write(p, Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        Npy.Layout l = Npy.layout(p);
        assertEquals(DType.F32, l.dtype());
        assertArrayEquals(new int[]{2, 3}, l.shape());
        assertEquals(false, l.fortranOrder());
        assertEquals(24, l.byteCount());
        assertEquals(Files.size(p) - 24, l.dataOffset());
        assertEquals(0, l.dataOffset() % 64);                                  // numpy's alignment
        ByteBuffer last = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        try (var ch = java.nio.channels.FileChannel.open(p)) {
            ch.read(last, l.dataOffset() + 20);
        }
        assertEquals(6f, last.getFloat(0));

        Path big = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824,), }", 0);
        assertDefect(Defect.TRUNCATED, big, "needs 4294967296 bytes", () -> Npy.layout(big));
        Path bad = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20);
        assertDefect(Defect.TRUNCATED, bad, "needs 24 bytes of data, the file has 20", () -> Npy.layout(bad));
    }

    // writeRows streams a [rows, cols] F32 matrix; rows of 0.3 M floats overflow the 1 MB staging buffer, rows of 3
    // floats fill it many times over; the file equals write() of the same values.
    @Test
    void writeRowsStreamsTheSameBytesAsWrite() throws IOException {
        for (int[] shape : new int[][]{{3, 300_000}, {100_000, 3}, {0, 5}}) {
            int rows = shape[0], cols = shape[1];
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 7;
            Path streamed = dir.resolve("rows.npy"), whole = dir.resolve("whole.npy");
            Npy.writeRows(streamed, rows, cols, (r, dst) -> System.arraycopy(v, r * cols, dst, 0, cols));
            Npy.write(whole, Tensor.of(v, rows, cols));
            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed), rows + " x " + cols);
        }
    }
}
