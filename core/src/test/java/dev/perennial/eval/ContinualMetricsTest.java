/*
 * Golden values of the continual metrics on hand-made matrices (values worked out in the comments) and §12.24's
 * invariants: constant columns give BWT 0, a constant matrix has MAA equal to the constant; forward transfer against
 * the zero-shot row and ADAPT-∞'s relative gain against a reference run, including a reference that scored 0; the
 * CSV round trip (with and without the zero-shot row) and the matrix's input checks.
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
     *            t0    t1    t2
     * zero-shot  0.10  0.25  0.10
     * after 0    0.90  0.30  -
     * after 1    0.95  0.80  0.20
     * after 2    0.50  0.70  0.90
     */
    static AccuracyMatrix golden() {
        AccuracyMatrix a = new AccuracyMatrix(List.of("t0", "t1", "t2"));
        a.setZeroShot(new double[]{0.10, 0.25, 0.10});
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
        assertEquals(0.075, ContinualMetrics.forwardTransfer(a), 1e-12);            // ((0.3-0.25) + (0.2-0.1)) / 2
    }

    /** A reference run (the multi-task model) with the final row given, over golden()'s tasks and steps. */
    private static AccuracyMatrix reference(double... last) {
        AccuracyMatrix r = new AccuracyMatrix(List.of("t0", "t1", "t2"));
        r.addRow(new double[]{0.5, N, N});
        r.addRow(new double[]{0.5, 0.5, N});
        r.addRow(last);
        return r;
    }

    /** ADAPT-∞'s relative gain: the mean of a[T][j] / ref[T][j] in percent; tasks the reference scored 0 on are left out. */
    @Test
    void relativeGainAgainstAReference() {
        AccuracyMatrix a = golden();                                                   // final row 0.5, 0.7, 0.9
        assertEquals(150.0, ContinualMetrics.relativeGain(a, reference(0.5, 0.35, 0.6)), 1e-9);   // (1.0 + 2.0 + 1.5) / 3
        assertEquals(125.0, ContinualMetrics.relativeGain(a, reference(0.5, 0.0, 0.6)), 1e-9);    // t1 left out: (1.0 + 1.5) / 2
        assertArrayEquals(new int[]{0, 2}, ContinualMetrics.relativeGainTasks(a, reference(0.5, 0.0, 0.6)));
        assertTrue(Double.isNaN(ContinualMetrics.relativeGain(a, reference(0, 0, 0))), "no task with a ratio");
        AccuracyMatrix self = reference(0.5, 0.0, 0.6);
        assertEquals(100.0, ContinualMetrics.relativeGain(self, self), 1e-12, "the reference against itself");
        AccuracyMatrix shorter = new AccuracyMatrix(List.of("t0", "t1", "t2"));
        shorter.addRow(new double[]{0.5, N, N});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinualMetrics.relativeGain(a, shorter));
        assertTrue(e.getMessage().startsWith("relative gain needs the reference over the same tasks and steps"), e.getMessage());
    }

    /** Forward transfer is undefined (NaN) after one step, without the zero-shot row, or with A[i-1][i] not evaluated. */
    @Test
    void forwardTransferNeedsTheZeroShotRowAndTheNextTasksEntries() {
        AccuracyMatrix noZeroShot = new AccuracyMatrix(List.of("x", "y"));
        noZeroShot.addRow(new double[]{0.5, 0.3});
        noZeroShot.addRow(new double[]{0.4, 0.6});
        assertTrue(Double.isNaN(ContinualMetrics.forwardTransfer(noZeroShot)));
        noZeroShot.setZeroShot(new double[]{0.2, 0.1});
        assertEquals(0.2, ContinualMetrics.forwardTransfer(noZeroShot), 1e-12);      // (0.3 - 0.1) / 1
        AccuracyMatrix noFuture = new AccuracyMatrix(List.of("x", "y"));
        noFuture.setZeroShot(new double[]{0.2, 0.1});
        noFuture.addRow(new double[]{0.5, N});
        noFuture.addRow(new double[]{0.4, 0.6});
        assertTrue(Double.isNaN(ContinualMetrics.forwardTransfer(noFuture)), "A[0][1] was not evaluated");
        AccuracyMatrix one = new AccuracyMatrix(List.of("only"));
        one.setZeroShot(new double[]{0.1});
        one.addRow(new double[]{0.5});
        assertTrue(Double.isNaN(ContinualMetrics.forwardTransfer(one)));
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
        assertEquals("after,t0,t1,t2\nzero-shot,0.100000,0.250000,0.100000\nt0,0.900000,0.300000,\nt1,0.950000,0.800000,0.200000\n"
                + "t2,0.500000,0.700000,0.900000\n", Files.readString(f));
        AccuracyMatrix back = AccuracyMatrix.readCsv(f);
        for (int j = 0; j < 3; j++) assertArrayEquals(a.row(j), back.row(j), 1e-12);
        assertArrayEquals(a.zeroShot(), back.zeroShot(), 1e-12);
        Files.writeString(f, "after,t0,t1\nt0,0.5,\n");                                 // written before the zero-shot row existed
        AccuracyMatrix old = AccuracyMatrix.readCsv(f);
        assertEquals(1, old.steps());
        assertNull(old.zeroShot());
        Files.writeString(f, "after,t0,t1\nt0,0.5,\nzero-shot,0.1,0.1\n");
        assertTrue(assertThrows(IOException.class, () -> AccuracyMatrix.readCsv(f)).getMessage().contains("line 3"));
        Files.writeString(f, "after,t0,t1\nzero-shot,0.1,\n");
        assertTrue(assertThrows(IOException.class, () -> AccuracyMatrix.readCsv(f)).getMessage().contains("zero-shot, task t1: accuracy NaN"));
        assertEquals("a task cannot be named 'zero-shot': it labels the base model's row",
                assertThrows(IllegalArgumentException.class, () -> new AccuracyMatrix(List.of("a", "zero-shot"))).getMessage());

        AccuracyMatrix m = new AccuracyMatrix(List.of("x", "y"));
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{N, N}), "a trained task must be evaluated");
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{1.5, N}), "accuracies are fractions");
        assertThrows(IllegalArgumentException.class, () -> m.addRow(new double[]{0.5}), "one value per task");
        assertThrows(IllegalArgumentException.class, () -> ContinualMetrics.finalAverage(m), "no step yet");
        assertThrows(IllegalArgumentException.class, () -> new AccuracyMatrix(List.of("x", "x")));
        Files.writeString(f, "after,x,y\nx,0.5,\ny,0.4\n");
        IOException bad = assertThrows(IOException.class, () -> AccuracyMatrix.readCsv(f));
        assertTrue(bad.getMessage().contains("line 3"), bad.getMessage());
    }
}
