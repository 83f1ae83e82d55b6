/*
 * NpyVectors (docs/methods/adapt-inf.md §2.5): rows of a memory-mapped .npy equal the array written, for float32 and float16,
 * also across mapping boundaries (small mappings stand in for the 1 GiB ones) and from several threads; anything
 * but a C-order [N, d] float array is refused naming the file, and malformed files keep Npy's defects.
 */
package dev.perennial.select;

import dev.perennial.io.Npy;
import dev.perennial.io.TensorFormatException;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyVectorsTest {
    @TempDir
    Path dir;

    private static float[] random(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) (r.nextDouble() * 4 - 2);
        return v;
    }

    @Test
    void rowsEqualTheWrittenArrayAcrossMappings() throws IOException {
        int n = 37, d = 11;
        float[] v = random(n * d, 1);
        Path f = dir.resolve("v.npy");
        try (Tensor t = Tensor.of(v, n, d)) {
            Npy.write(f, t);
        }
        for (long mapping : new long[]{NpyVectors.MAX_MAPPING, 5L * d * 4, d * 4L}) {       // 1, 8 and 37 mappings
            NpyVectors vectors = NpyVectors.open(f, mapping);
            assertEquals(n, vectors.size());
            assertEquals(d, vectors.dim());
            assertEquals(DType.F32, vectors.dtype());
            IntStream.range(0, n).parallel().forEach(i -> {
                float[] row = new float[d];
                vectors.read(i, row);
                for (int j = 0; j < d; j++) assertEquals(v[i * d + j], row[j], 0, "row " + i);
            });
            assertThrows(IndexOutOfBoundsException.class, () -> vectors.read(n, new float[d]));
        }
    }

    @Test
    void halfPrecisionIsWidened() throws IOException {
        float[] v = {0.5f, -2f, 1f / 3, 65504f, 1e-3f, 0f};
        Path f = dir.resolve("h.npy");
        try (Tensor t = Tensor.of(v, 2, 3); Tensor h = t.to(DType.F16)) {
            Npy.write(f, h);
        }
        NpyVectors vectors = NpyVectors.open(f);
        assertEquals(DType.F16, vectors.dtype());
        float[] row = new float[3];
        for (int i = 0; i < 2; i++) {
            vectors.read(i, row);
            for (int j = 0; j < 3; j++) assertEquals(Half.f16ToFloat(Half.floatToF16(v[i * 3 + j])), row[j], 0);
        }
        assertEquals(65504f, row[0], 0);
        assertEquals(1e-3f, row[1], 1e-6f);
    }

    @Test
    void otherArraysAreRefused() throws IOException {
        Path vector = dir.resolve("rank1.npy"), ints = dir.resolve("ints.npy");
        Npy.write(vector, Tensor.of(new float[]{1, 2, 3}, 3));
        Npy.write(ints, Tensor.ofInts(new int[]{1, 2, 3, 4}, 2, 2));
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> NpyVectors.open(vector));
        assertTrue(a.getMessage().startsWith(vector + ": expected sample vectors as float32 or float16 [N, d], got F32 [3]"), a.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> NpyVectors.open(ints));
        assertTrue(b.getMessage().contains("got I32 [2, 2]"), b.getMessage());

        Path fortran = dir.resolve("f.npy");
        byte[] header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }".getBytes();
        byte[] file = new byte[10 + header.length + 16];
        System.arraycopy(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, file, 0, 10);
        System.arraycopy(header, 0, file, 10, header.length);
        Files.write(fortran, file);
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> NpyVectors.open(fortran));
        assertTrue(c.getMessage().contains("C order"), c.getMessage());

        Path junk = Files.writeString(dir.resolve("junk.npy"), "not numpy");
        TensorFormatException d = assertThrows(TensorFormatException.class, () -> NpyVectors.open(junk));
        assertEquals(TensorFormatException.Defect.BAD_MAGIC, d.defect());
    }
}
