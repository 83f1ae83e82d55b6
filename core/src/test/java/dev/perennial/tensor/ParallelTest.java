/*
 * Parallel.forRows: every row is handled exactly once whatever the split, a failure in any chunk reaches the caller,
 * and — the property that keeps shared machines fair — a loop never waits for a worker that has not started: with
 * the only pool worker held up (as when another process owns its core), the caller does all the chunks itself.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

class ParallelTest {
    @Test
    void everyRowOnceForEverySize() {
        for (int rows : new int[]{1, 2, 3, 7, 8, 9, 100, 1001, 65537}) {
            for (long cost : new long[]{1, 1000, 1 << 20}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(rows);
                Parallel.forRows(rows, cost, (s, e) -> {
                    assertTrue(0 <= s && s < e && e <= rows, s + ".." + e);
                    for (int i = s; i < e; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < rows; i++) assertEquals(1, seen.get(i), "row " + i + " of " + rows + " at cost " + cost);
            }
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRows(1000, 1 << 20, (s, end) -> {
            if (end == 1000) throw new IllegalStateException("last chunk failed");
        }));
        assertEquals("last chunk failed", e.getMessage());
        assertThrows(AssertionError.class, () -> Parallel.forRows(1000, 1 << 20, (s, end) -> { throw new AssertionError("boom"); }));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aWorkerThatCannotRunDoesNotHoldTheLoopUp() throws InterruptedException {
        Assumptions.assumeTrue(Parallel.threads() > 1, "needs at least two threads");
        CountDownLatch held = new CountDownLatch(1), release = new CountDownLatch(1);
        for (int w = 0; w < Parallel.threads() - 1; w++) {
            Parallel.submit(() -> {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertTrue(held.await(10, TimeUnit.SECONDS));
        try {
            AtomicIntegerArray seen = new AtomicIntegerArray(4096);
            Parallel.forRows(4096, 1 << 16, (s, e) -> { for (int i = s; i < e; i++) seen.incrementAndGet(i); });
            for (int i = 0; i < 4096; i++) assertEquals(1, seen.get(i));
        } finally {
            release.countDown();
        }
    }
}
