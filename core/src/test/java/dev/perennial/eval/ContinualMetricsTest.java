/*
 * Golden values of the continual metrics on hand-made matrices (values worked out in the comments) and §12.24's
 * invariants: constant columns give BWT 0, a constant matrix has MAA equal to the constant; the CSV round trip and
 * the matrix's input checks.
 */
package dev.perennial.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ContinualMetricsTest {
    static final double N = Double.NaN;

    @TempDir
    Path dir;

    /**
     *          t0    t1    t2
     * after 0  0.90  0.30  -
     * after 1  0.95  0.80  0.20
     * after 2  0.50  0.70  0.90
     */
    static AccuracyMatrix golden() {
        AccuracyMatrix a = new AccuracyMatrix(List.of("t0", "t1", "t2"));
        a.addRow(new double[]{0.90, 0.30, N});
        a.addRow(new double[]{0.95, 0.80, 0.20});
        a.addRow(new double[]{0.50, 0.70, 0.90});
        return a;
    }

    @Test
    void goldenValues() {
        AccuracyMatrix a = golden();
        assertEquals(0.7, ContinualMetrics.finalAverage(a), 1e-12);                 // (0.5 + 0.7 + 0.9) / 3
        assertEquals((0.9 + 0.8 + 0.9) / 3, ContinualMetrics.mft(a), 1e-12);
        assertEquals((0.9 + 0.875 + 0.7) / 3, ContinualMetrics.maa(a), 1e-12);      // rows: 0.9, (0.95+0.8)/2, 0.7
        assertEquals(-0.25, ContinualMetrics.bwt(a), 1e-12);                        // ((0.5-0.9) + (0.7-0.8)) / 2
        assertEquals(-0.5 / 3, ContinualMetrics.bwt(a, ContinualMetrics.Denominator.T), 1e-12);
        assertEquals(0.275, ContinualMetrics.forgetting(a), 1e-12);                 // ((0.95-0.5) + (0.8-0.7)) / 2
        assertEquals(0.075, ContinualMetrics.forwardTransfer(a, new double[]{0.1, 0.25, 0.1}), 1e-12);  // ((0.3-0.25) + (0.2-0.1)) / 2
        assertEquals(0.4, ContinualMetrics.relativeGain(0.7, 0.5), 1e-12);
        assertTrue(Double.isNaN(ContinualMetrics.relativeGain(0.7, 0)));
    }

    @Test
    void invariants() {                                                                // §12.24
        AccuracyMatrix cols = new AccuracyMatrix(List.of("a", "b", "c", "d"));
        double[] c = {0.4, 0.9, 0.1, 0.6};
        for (int j = 0; j < 4; j++) {
            double[] row = new double[4];
            for (int i = 0; i < 4; i++) row[i] = i <= j ? c[i] : N;
            cols.addRow(row);
        }
        assertEquals(0.0, ContinualMetrics.bwt(cols), 1e-12);
        assertEquals(0.0, ContinualMetrics.forgetting(cols), 1e-12);
        AccuracyMatrix constant = new AccuracyMatrix(List.of("a", "b", "c"));
        for (int j = 0; j < 3; j++) constant.addRow(new double[]{0.37, 0.37, 0.37});
        assertEquals(0.37, ContinualMetrics.maa(constant), 1e-12);
        assertEquals(0.37, ContinualMetrics.finalAverage(constant), 1e-12);
        AccuracyMatrix better = new AccuracyMatrix(List.of("a", "b"));                    // task a improves at the last step
        better.addRow(new double[]{0.5, N});
        better.addRow(new double[]{0.8, 0.6});
        assertEquals(-0.3, ContinualMetrics.forgetting(better), 1e-12, "the max runs over steps before the last: 0.5 - 0.8");
        assertEquals(0.3, ContinualMetrics.bwt(better), 1e-12);
        AccuracyMatrix one = new AccuracyMatrix(List.of("only"));
        one.addRow(new double[]{0.5});
        assertTrue(Double.isNaN(ContinualMetrics.bwt(one)), "nothing to compare after one step");
        assertEquals(0.5, ContinualMetrics.finalAverage(one));
    }

    @Test
    void csvRoundTripAndChecks() throws IOException {
        AccuracyMatrix a = golden();
        Path f = dir.resolve("accuracy_matrix.csv");
        a.writeCsv(f);
        assertEquals("after,t0,t1,t2\nt0,0.900000,0.300000,\nt1,0.950000,0.800000,0.200000\nt2,0.500000,0.700000,0.900000\n", Files.readString(f));
        AccuracyMatrix back = AccuracyMatrix.readCsv(f);
        for (int j = 0; j < 3; j++) assertArrayEquals(a.row(j), back.row(j), 1e-12);

        AccuracyMatrix m = new AccuracyMatrix(List.of("x", "y"));
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{N, N}), "a trained task must be evaluated");
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{1.5, N}), "accuracies are fractions");
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{0.5}), "one value per task");
        assertThrows(IllegalArgumentException.class, () -> ContinualMetrics.finalAverage(m), "no step yet");
        assertThrows(IllegalArgumentException.class, () -> new AccuracyMatrix(List.of("x", "x")));
        Files.writeString(f, "after,x,y\nx,0.5,\ny,0.4\n");
        IOException bad = assertThrows(IOException.class, () -> AccuracyMatrix.readCsv(f));
        assertTrue(bad.getMessage().contains("line 3"), bad.getMessage());
        AccuracyMatrix noFwt = new AccuracyMatrix(List.of("x", "y"));
        noFwt.addRow(new double[]{0.5, N});
        noFwt.addRow(new double[]{0.4, 0.6});
        assertThrows(IllegalArgumentException.class, () -> ContinualMetrics.forwardTransfer(noFwt, new double[]{0, 0}));
    }
}
