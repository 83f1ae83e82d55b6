/*
 * RademacherSigns, the one definition of ADAPT-∞'s projection matrix R (docs/methods/adapt-inf.md §2.4): golden values that
 * pin the documented bit recipe (so the CUDA copy in random_projection.cu and any change here are caught), and
 * the statistics a Rademacher matrix must have — balanced signs and nearly uncorrelated columns, rows and seeds —
 * with bounds derived from the binomial standard deviation.
 */
package dev.perennial.select;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RademacherSignsTest {

    // Expected values computed outside Java from the recipe in RademacherSigns' top comment, with Python integers
    // masked to 64 bits. rowKey(0, 0) and rowKey(0, 1) are also the first two outputs of the published SplitMix64
    // generator from state 0 (mix64(0) = 0), an independent check of mix64 and GAMMA.
    @Test
    void goldenValuesPinTheRecipe() {
        assertEquals(0L, RademacherSigns.mix64(0));
        assertEquals(0x5692161D100B05E5L, RademacherSigns.mix64(1));
        assertEquals(0xE220A8397B1DCDAFL, RademacherSigns.rowKey(0, 0));
        assertEquals(0x6E789E6AA1B965F4L, RademacherSigns.rowKey(0, 1));
        assertEquals(0xA706DD2F4D197E6FL, RademacherSigns.wordBits(0xE220A8397B1DCDAFL, 0));
        assertEquals(0x374327C63D0CC8A6L, RademacherSigns.wordBits(0x6E789E6AA1B965F4L, 1));
        assertEquals(0x272404A0A3926552L, RademacherSigns.rowKey(42, 7));
        assertEquals(0xE9D79128BC03F151L, RademacherSigns.wordBits(0x272404A0A3926552L, 1));
        // seed 2^64 - 1 and a row above 2^33: the unsigned 64-bit arithmetic
        assertEquals(0x502168CF046310C1L, RademacherSigns.rowKey(-1L, (1L << 33) + 5));
        assertEquals(0x45B8CDC8C4A100A2L, RademacherSigns.wordBits(0x502168CF046310C1L, 127));

        assertEquals(-1, RademacherSigns.sign(0, 0, 0));               // bit 0 of ...6F is 1
        assertEquals(-1, RademacherSigns.sign(0, 0, 63));              // bit 63 of A7... is 1
        assertEquals(1, RademacherSigns.sign(0, 0, 4));                // bit 4 of ...6F (0110 1111) is 0
        assertEquals(1, RademacherSigns.sign(0, 1, 64));               // word 1, bit 0 of ...A6 is 0
        assertEquals(1, RademacherSigns.sign(42, 7, 100));             // word 1, bit 36 of E9D79128BC03F151 is 0
        assertEquals(1, RademacherSigns.sign(-1L, (1L << 33) + 5, 8191));
        assertEquals(-1, RademacherSigns.sign(0x123456789L, 9_999_999L, 4097));
    }

    @Test
    void signIsTheBitOfItsWord() {
        long key = RademacherSigns.rowKey(5, 123_456_789_012L);
        for (int col = 0; col < 300; col++) {
            long bits = RademacherSigns.wordBits(key, col / 64);
            int expected = ((bits >>> (col % 64)) & 1) == 1 ? -1 : 1;
            assertEquals(expected, RademacherSigns.sign(5, 123_456_789_012L, col), "col " + col);
        }
        assertThrows(IllegalArgumentException.class, () -> RademacherSigns.sign(0, 0, -1));
    }

    // 10^6 draws (7813 rows x 128 columns, two words per row): the count of -1 is Binomial(N, 1/2), std
    // sqrt(N)/2 = 500; 5 std = 2500. Each column alone (7813 draws, std 44) within 5 std too.
    @Test
    void signsAreBalanced() {
        int rows = 7813, cols = 128;
        long total = 0;
        int[] perColumn = new int[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (RademacherSigns.sign(11, 1_000_000_000L + r, c) < 0) {
                    total++;
                    perColumn[c]++;
                }
            }
        }
        double n = (double) rows * cols;
        assertTrue(Math.abs(total - n / 2) < 5 * Math.sqrt(n) / 2, "negatives " + total + " of " + n);
        for (int c = 0; c < cols; c++) {
            assertTrue(Math.abs(perColumn[c] - rows / 2.0) < 5 * Math.sqrt(rows) / 2, "column " + c + ": " + perColumn[c]);
        }
    }

    // Over d rows, the mean product of two independent ±1 columns has std 1/sqrt(d). For 100 columns (4950
    // pairs, across the 64-column word boundary) the largest |correlation| of independent columns is about
    // 4.3 std; allow 5.5 std. The same bound for adjacent rows over 20000 columns and for two seeds.
    @Test
    void columnsRowsAndSeedsAreNearlyUncorrelated() {
        int d = 20_000, k = 100;
        int[][] s = new int[k][d];
        for (int j = 0; j < d; j++) {
            for (int c = 0; c < k; c++) s[c][j] = RademacherSigns.sign(3, j, c);
        }
        double bound = 5.5 / Math.sqrt(d);
        for (int a = 0; a < k; a++) {
            for (int b = a + 1; b < k; b++) {
                long dot = 0;
                for (int j = 0; j < d; j++) dot += s[a][j] * s[b][j];
                assertTrue(Math.abs(dot / (double) d) < bound, "columns " + a + ", " + b + ": " + dot / (double) d);
            }
        }
        long rowDot = 0, seedDot = 0;
        for (int c = 0; c < d; c++) {
            rowDot += RademacherSigns.sign(3, 77, c) * RademacherSigns.sign(3, 78, c);
            seedDot += RademacherSigns.sign(3, 77, c) * RademacherSigns.sign(4, 77, c);
        }
        assertTrue(Math.abs(rowDot / (double) d) < bound, "rows 77, 78: " + rowDot / (double) d);
        assertTrue(Math.abs(seedDot / (double) d) < bound, "seeds 3, 4: " + seedDot / (double) d);
    }
}
