/*
 * Splits loops over rows across the machine's cores, but only when the work is large enough to pay for it.
 *
 * The calling thread runs the first chunk itself and a small pool of daemon workers (threads - 1) runs the
 * rest, so two cores give two busy threads. Work submitted from inside a worker runs serially, which rules out
 * pool starvation from nested parallel ops. Knobs (system properties):
 *   perennial.threads  number of threads (default: available processors)
 *   perennial.grain    minimum element-operations per chunk before a loop is split (default 32768)
 */
package dev.perennial.tensor;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public final class Parallel {
    private Parallel() {}

    /** Body of a parallel loop: handles rows [start, end). */
    @FunctionalInterface
    public interface RowRange {
        void run(int start, int end);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("perennial.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final long GRAIN = Math.max(1, Long.getLong("perennial.grain", 1L << 15));
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static final ExecutorService POOL = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(() -> {
            IN_WORKER.set(true);
            r.run();
        }, "perennial-cpu");
        t.setDaemon(true);
        return t;
    });

    public static int threads() { return THREADS; }

    /**
     * Runs body over [0, rows), split into at most threads() chunks when rows * costPerRow >= 2 * grain.
     * @param costPerRow rough number of element operations per row
     */
    public static void forRows(int rows, long costPerRow, RowRange body) {
        if (rows <= 0) return;
        long total = rows * Math.max(1, costPerRow);
        int chunks = (int) Math.min(Math.min(THREADS, rows), total / GRAIN);
        if (chunks <= 1 || POOL == null || IN_WORKER.get()) {
            body.run(0, rows);
            return;
        }
        Future<?>[] futures = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int start = (int) ((long) rows * c / chunks), end = (int) ((long) rows * (c + 1) / chunks);
            futures[c - 1] = POOL.submit(() -> body.run(start, end));
        }
        Throwable failure = null;
        try {
            body.run(0, (int) ((long) rows / chunks));
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException) throw (RuntimeException) failure;
        if (failure instanceof Error) throw (Error) failure;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
