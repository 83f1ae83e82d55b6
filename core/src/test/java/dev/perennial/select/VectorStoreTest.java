/*
 * VectorStore (docs/methods/adapt-inf.md §2.5, §3: the pool's vectors on disk): F32 rows round-trip exactly and F16 rows as
 * Half's rounding; reads cross memory-map segment boundaries; a writer's rows are invisible until finish(), a
 * resumed writer drops what was not committed; a truncated, padded, foreign or half-written file is refused with
 * a TensorFormatException naming the defect; the .npy export equals the rows.
 */
package dev.perennial.select;

import dev.perennial.io.Npy;
import dev.perennial.io.TensorFormatException;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class VectorStoreTest {
    @TempDir
    Path dir;

    private static float[][] rows(int n, int k, long seed) {
        Random r = new Random(seed);
        float[][] v = new float[n][k];
        for (float[] row : v) for (int j = 0; j < k; j++) row[j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        return v;
    }

    private Path write(String name, float[][] rows, DType dtype) throws IOException {
        Path target = dir.resolve(name);
        try (VectorStore.Writer w = VectorStore.create(target, rows[0].length, dtype)) {
            for (float[] row : rows) w.append(row);
            w.finish().close();
        }
        return target;
    }

    @Test
    void f32RowsRoundTripExactlyAcrossSegments() throws IOException {
        float[][] v = rows(37, 13, 1);
        v[5][3] = Float.NaN;
        v[6] = new float[13];
        Arrays.fill(v[6], Float.NaN);                              // an invalid sample's row
        Path file = write("v.pnvec", v, DType.F32);
        assertFalse(Files.exists(VectorStore.partialOf(file)), "the partial file is renamed, not copied");
        assertEquals(64 + 37 * 13 * 4, Files.size(file));
        for (long segment : new long[]{VectorStore.DEFAULT_SEGMENT_BYTES, 13 * 4, 5 * 13 * 4 + 3}) {
            try (VectorStore s = VectorStore.open(file, segment)) {
                assertEquals(37, s.size());
                assertEquals(13, s.dim());
                assertEquals(DType.F32, s.dtype());
                float[] dst = new float[13];
                for (int i = 0; i < 37; i++) {
                    s.read(i, dst);
                    assertArrayEquals(v[i], dst, "row " + i + " with segments of " + segment + " bytes");
                }
                assertThrows(IndexOutOfBoundsException.class, () -> s.read(37, dst));
            }
        }
    }

    @Test
    void concurrentReadsSeeTheirOwnRows() throws Exception {
        float[][] v = rows(400, 33, 2);
        try (VectorStore s = VectorStore.open(write("c.pnvec", v, DType.F32), 7 * 33 * 4)) {
            AtomicInteger wrong = new AtomicInteger();
            IntStream.range(0, 4000).parallel().forEach(t -> {
                float[] dst = new float[33];
                s.read(t % 400, dst);
                if (!Arrays.equals(dst, v[t % 400])) wrong.incrementAndGet();
            });
            assertEquals(0, wrong.get());
        }
    }

    @Test
    void f16RowsAreHalfRounded() throws IOException {
        float[][] v = rows(9, 70, 3);
        v[0][0] = 1e6f;                                            // overflows F16 to +inf
        Path file = write("h.pnvec", v, DType.F16);
        assertEquals(64 + 9 * 70 * 2, Files.size(file));
        try (VectorStore s = VectorStore.open(file, 3 * 70 * 2)) {
            assertEquals(DType.F16, s.dtype());
            float[] dst = new float[70];
            for (int i = 0; i < 9; i++) {
                s.read(i, dst);
                for (int j = 0; j < 70; j++) assertEquals(Half.f16ToFloat(Half.floatToF16(v[i][j])), dst[j], 0f, i + "," + j);
            }
            s.read(0, dst);
            assertEquals(Float.POSITIVE_INFINITY, dst[0]);
        }
    }

    @Test
    void exportAndColumnsMatchTheRows() throws IOException {
        float[][] v = rows(11, 5, 4);
        try (VectorStore s = VectorStore.open(write("e.pnvec", v, DType.F32))) {
            Path npy = dir.resolve("e.npy");
            s.exportNpy(npy);
            var t = Npy.read(npy);
            assertArrayEquals(new int[]{11, 5}, t.shape());
            assertEquals(DType.F32, t.dtype());
            float[] flat = t.toFloatArray();
            for (int i = 0; i < 11; i++) assertArrayEquals(v[i], Arrays.copyOfRange(flat, i * 5, i * 5 + 5));
            float[] col = s.column(3);
            for (int i = 0; i < 11; i++) assertEquals(v[i][3], col[i]);
        }
    }

    @Test
    void anEmptyStoreIsValid() throws IOException {
        Path target = dir.resolve("empty.pnvec");
        try (VectorStore.Writer w = VectorStore.create(target, 4, DType.F16)) {
            w.finish().close();
        }
        try (VectorStore s = VectorStore.open(target)) {
            assertEquals(0, s.size());
            s.exportNpy(dir.resolve("empty.npy"));
            assertArrayEquals(new int[]{0, 4}, Npy.read(dir.resolve("empty.npy")).shape());
        }
    }

    @Test
    void resumeDropsRowsAfterTheCommitAndAppendsAfterIt() throws IOException {
        float[][] v = rows(10, 6, 5);
        Path target = dir.resolve("r.pnvec");
        try (VectorStore.Writer w = VectorStore.create(target, 6, DType.F32)) {
            for (int i = 0; i < 4; i++) w.append(v[i]);
            assertEquals(4, w.commit());
            for (int i = 0; i < 50_000; i++) w.append(new float[]{9, 9, 9, 9, 9, 9});   // 1.2 MB: partly on disk, never committed
            assertEquals(50_004, w.rows());
            assertEquals(4, w.committed());
        }                                                                              // "killed": closed without finish
        assertFalse(Files.exists(target), "an unfinished store is not at its final name");
        Path partial = VectorStore.partialOf(target);
        assertTrue(Files.size(partial) > 64 + 4 * 6 * 4, "uncommitted rows reached the disk");
        TensorFormatException half = assertThrows(TensorFormatException.class, () -> VectorStore.open(partial));
        assertEquals(TensorFormatException.Defect.SIZE_MISMATCH, half.defect(), half.getMessage());
        assertThrows(IOException.class, () -> VectorStore.resume(target, 6, DType.F32, 5), "cannot resume past the commit");
        assertThrows(IOException.class, () -> VectorStore.resume(target, 7, DType.F32, 4), "another layout");
        try (VectorStore.Writer w = VectorStore.resume(target, 6, DType.F32, 3)) {
            for (int i = 3; i < 10; i++) w.append(v[i]);
            w.finish().close();
        }
        try (VectorStore s = VectorStore.open(target)) {
            assertEquals(10, s.size());
            float[] dst = new float[6];
            for (int i = 0; i < 10; i++) {
                s.read(i, dst);
                assertArrayEquals(v[i], dst, "row " + i);
            }
        }
    }

    @Test
    void corruptFilesAreRefusedWithTheirDefect() throws IOException {
        Path good = write("g.pnvec", rows(8, 4, 6), DType.F32);
        byte[] bytes = Files.readAllBytes(good);

        Path cut = Files.write(dir.resolve("cut.pnvec"), Arrays.copyOf(bytes, bytes.length - 5));
        TensorFormatException e = assertThrows(TensorFormatException.class, () -> VectorStore.open(cut));
        assertEquals(TensorFormatException.Defect.TRUNCATED, e.defect());
        assertTrue(e.getMessage().contains("8 rows") && e.getMessage().contains("cut.pnvec"), e.getMessage());

        Path headerOnly = Files.write(dir.resolve("short.pnvec"), Arrays.copyOf(bytes, 20));
        assertEquals(TensorFormatException.Defect.TRUNCATED, assertThrows(TensorFormatException.class, () -> VectorStore.open(headerOnly)).defect());

        byte[] padded = Arrays.copyOf(bytes, bytes.length + 4);
        Path extra = Files.write(dir.resolve("extra.pnvec"), padded);
        assertEquals(TensorFormatException.Defect.SIZE_MISMATCH, assertThrows(TensorFormatException.class, () -> VectorStore.open(extra)).defect());

        byte[] foreign = bytes.clone();
        foreign[0] = 'X';
        Path magic = Files.write(dir.resolve("magic.pnvec"), foreign);
        assertEquals(TensorFormatException.Defect.BAD_MAGIC, assertThrows(TensorFormatException.class, () -> VectorStore.open(magic)).defect());

        byte[] dtype = bytes.clone();
        dtype[8] = 7;
        Path code = Files.write(dir.resolve("dtype.pnvec"), dtype);
        assertEquals(TensorFormatException.Defect.UNKNOWN_DTYPE, assertThrows(TensorFormatException.class, () -> VectorStore.open(code)).defect());

        Path npy = dir.resolve("x.npy");
        Npy.write(npy, dev.perennial.tensor.Tensor.zeros(3, 3));
        assertEquals(TensorFormatException.Defect.BAD_MAGIC, assertThrows(TensorFormatException.class, () -> VectorStore.open(npy)).defect());
    }

    @Test
    void rejectsBadRowsAndLayouts() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> VectorStore.create(dir.resolve("a"), 0, DType.F32));
        assertThrows(IllegalArgumentException.class, () -> VectorStore.create(dir.resolve("b"), 3, DType.BF16));
        try (VectorStore.Writer w = VectorStore.create(dir.resolve("c"), 3, DType.F32)) {
            assertThrows(IllegalArgumentException.class, () -> w.append(new float[4]));
        }
        try (FileChannel ch = FileChannel.open(dir.resolve("d"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            assertEquals(0, ch.size());
        }
        assertEquals(TensorFormatException.Defect.TRUNCATED,
                assertThrows(TensorFormatException.class, () -> VectorStore.open(dir.resolve("d"))).defect());
    }
}
