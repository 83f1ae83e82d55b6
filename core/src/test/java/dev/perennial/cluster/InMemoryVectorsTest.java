/*
 * InMemoryVectors (docs/methods/adapt-inf.md §2.5 storage, VectorSource): copies its input, reads rows, refuses bad shapes;
 * readFinite applies nan_to_num.
 */
package dev.perennial.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InMemoryVectorsTest {

    @Test
    void readsRowsOfACopy() {
        float[][] rows = {{1, 2, 3}, {4, 5, 6}};
        InMemoryVectors v = new InMemoryVectors(rows);
        rows[1][0] = 99;
        assertEquals(2, v.size());
        assertEquals(3, v.dim());
        float[] dst = new float[3];
        v.read(1, dst);
        assertArrayEquals(new float[]{4, 5, 6}, dst);
        float[] flat = {1, 2, 3, 4};
        InMemoryVectors w = new InMemoryVectors(flat, 2, 2);
        flat[3] = 0;
        w.read(1, dst);
        assertEquals(4, dst[1]);
    }

    @Test
    void readFiniteAppliesNanToNum() {
        InMemoryVectors v = new InMemoryVectors(new float[][]{{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 2}});
        float[] dst = new float[4];
        v.readFinite(0, dst);
        assertArrayEquals(new float[]{0, Float.MAX_VALUE, -Float.MAX_VALUE, 2}, dst);
    }

    @Test
    void badShapesAndIndicesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new InMemoryVectors(new float[][]{{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> new InMemoryVectors(new float[5], 2, 2));
        InMemoryVectors v = new InMemoryVectors(new float[4], 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(2, new float[2]));
        assertEquals(0, new InMemoryVectors(new float[0][]).size());
    }
}
