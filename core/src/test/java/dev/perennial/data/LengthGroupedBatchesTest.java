/*
 * LengthGroupedBatches: every index exactly once per epoch, batch sizes (only one short batch), the same batches
 * for the same seed and different ones for another, each batch sorted longest first, and far less padding than
 * random batches of the same data (the point of grouping).
 */
package dev.perennial.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LengthGroupedBatchesTest {
    private static final int[] LENGTHS = new SplittableRandom(1).ints(1003, 10, 2700).toArray();

    /** Padding positions when each batch is padded to its longest sample. */
    private static long padding(List<int[]> batches) {
        long pad = 0;
        for (int[] b : batches) {
            int max = IntStream.of(b).map(i -> LENGTHS[i]).max().orElse(0);
            for (int i : b) pad += max - LENGTHS[i];
        }
        return pad;
    }

    @Test
    void everySampleExactlyOnceInBatchesOfTheRightSize() {
        for (int factor : new int[]{1, 4, 50, 1000}) {
            List<int[]> batches = LengthGroupedBatches.of(LENGTHS, 8, factor, 42);
            assertArrayEquals(IntStream.range(0, LENGTHS.length).toArray(), batches.stream().flatMapToInt(IntStream::of).sorted().toArray());
            assertEquals(1, batches.stream().filter(b -> b.length != 8).count(), "one short batch, factor " + factor);
            for (int[] b : batches) {
                assertTrue(b.length >= 1 && b.length <= 8);
                for (int k = 1; k < b.length; k++) assertTrue(LENGTHS[b[k - 1]] >= LENGTHS[b[k]], "longest first");
            }
        }
        assertEquals(List.of(), LengthGroupedBatches.of(new int[0], 4, 2, 0));
    }

    @Test
    void deterministicGivenTheSeed() {
        List<int[]> a = LengthGroupedBatches.of(LENGTHS, 16, 8, 7), b = LengthGroupedBatches.of(LENGTHS, 16, 8, 7);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i));
        List<int[]> other = LengthGroupedBatches.of(LENGTHS, 16, 8, 8);
        assertFalse(IntStream.range(0, a.size()).allMatch(i -> java.util.Arrays.equals(a.get(i), other.get(i))));
    }

    @Test
    void groupingCutsPadding() {
        long random = padding(LengthGroupedBatches.of(LENGTHS, 16, 1, 3));   // factor 1: batches are random sets
        long grouped = padding(LengthGroupedBatches.of(LENGTHS, 16, 32, 3));
        assertTrue(grouped * 5 < random, "grouped " + grouped + " vs random " + random);
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> LengthGroupedBatches.of(LENGTHS, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> LengthGroupedBatches.of(LENGTHS, 4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LengthGroupedBatches.of(new int[]{3, -1}, 4, 1, 0));
    }
}
