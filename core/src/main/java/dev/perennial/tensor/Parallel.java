/*
 * Splits loops over rows across the machine's cores, but only when the work is large enough to pay for it.
 *
 * The rows are cut into chunks (up to CHUNKS_PER_THREAD per thread, each worth at least `grain` element
 * operations) that threads claim one at a time from a shared counter: the calling thread claims chunks itself,
 * and threads() - 1 pool workers are asked to help. Nobody waits for a chunk nobody has started. That is what keeps
 * a shared machine fair (docs/performance.md, "Shared machines"): when another process holds a core, a worker may
 * not be scheduled for milliseconds; with a fixed split (one chunk per thread, as before) every parallel op then
 * waited for it, and a scoring run beside two busy loops ran 6× slower instead of 2×. Here the caller simply takes
 * the worker's chunks, and a worker that runs late finds nothing left to do. The caller waits only for chunks a
 * worker is running at that moment: it polls for 50 µs, then parks. Idle workers likewise poll for new work for 50 µs
 * before they park (see Worker): waking a parked thread took long enough to cost a quarter of a 256³ product's time.
 *
 * A loop started inside a chunk (on a worker or on the calling thread) runs serially on that chunk's thread, which
 * rules out pool starvation from nested parallel ops and lets a chunk call GEMM as a serial kernel.
 * Every row is computed by exactly one body call, so row-wise results do not depend on how the rows were split.
 * Knobs (system properties):
 *   perennial.threads  number of threads (default: available processors)
 *   perennial.grain    minimum element-operations per chunk before a loop is split (default 32768)
 */
package dev.perennial.tensor;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs loops over rows on the machine's cores when the work is large enough: the rows are cut into chunks that the
 * calling thread and a pool of daemon workers claim from a shared counter, and a loop inside a chunk runs serially.
 * The {@code perennial.threads} and {@code perennial.grain} (element operations per chunk) system properties tune it.
 * <p>Thread-safe: several threads may start loops at once (each loop has its own job with atomic counters, the task
 * queue is concurrent and the nesting flag thread-local); a loop body must allow its row ranges to run on different
 * threads at the same time.
 */
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
    private static final int CHUNKS_PER_THREAD = 4;
    private static final long SPIN_NANOS = 1000L * Long.getLong("perennial.spinMicros", 50);
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static final ConcurrentLinkedQueue<Runnable> TASKS = new ConcurrentLinkedQueue<>();
    private static final Worker[] WORKERS = new Worker[THREADS - 1];

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker();
            WORKERS[i].start();
        }
    }

    /**
     * A pool thread: runs queued tasks; when there is none it polls for SPIN_NANOS (a parallel op usually follows
     * within microseconds, and waking a parked thread costs tens of them), then parks until submit() wakes it. The
     * bounded spin is the only busy-waiting: on a shared machine an idle worker gives its core back after 50 µs.
     */
    private static final class Worker extends Thread {
        volatile boolean parked;

        Worker() {
            super("perennial-cpu");
            setDaemon(true);
        }

        @Override
        public void run() {
            IN_WORKER.set(true);
            for (;;) next().run();                        // Job.help never throws: it hands failures to the caller
        }

        private Runnable next() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            for (;;) {
                Runnable r = TASKS.poll();
                if (r != null) return r;
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                r = TASKS.poll();                         // a task queued before `parked` was visible is not missed
                if (r != null) {
                    parked = false;
                    return r;
                }
                LockSupport.park(this);
                parked = false;
                deadline = System.nanoTime() + SPIN_NANOS;
            }
        }
    }

    /** Queues a task for the pool's threads, waking a parked one. */
    static void submit(Runnable task) {
        TASKS.add(task);
        for (Worker w : WORKERS) {
            if (w.parked) {
                LockSupport.unpark(w);
                return;
            }
        }
    }

    public static int threads() { return THREADS; }

    /** True on a thread that is running a chunk of a parallel loop (a nested loop would run serially). */
    public static boolean inParallelLoop() { return IN_WORKER.get(); }

    /**
     * Runs body over [0, rows), split into chunks when rows * costPerRow >= 2 * grain (see the class comment).
     * @param costPerRow rough number of element operations per row
     */
    public static void forRows(int rows, long costPerRow, RowRange body) {
        if (rows <= 0) return;
        long total = rows * Math.max(1, costPerRow);
        int chunks = (int) Math.min(Math.min((long) THREADS * CHUNKS_PER_THREAD, rows), total / GRAIN);
        if (chunks <= 1 || WORKERS.length == 0 || IN_WORKER.get()) {
            body.run(0, rows);
            return;
        }
        Job job = new Job(rows, chunks, body, Thread.currentThread());
        for (int h = Math.min(THREADS - 1, chunks - 1); h > 0; h--) submit(job::help);
        IN_WORKER.set(true);                              // a loop inside a chunk runs on that chunk's thread
        try {
            job.help();
        } finally {
            IN_WORKER.set(false);
        }
        job.await();
        if (job.failure instanceof RuntimeException r) throw r;
        if (job.failure instanceof Error e) throw e;
        if (job.failure != null) throw new IllegalStateException(job.failure);
    }

    /** One parallel loop: chunks claimed from a counter, and the number finished. */
    private static final class Job {
        final int rows, chunks;
        final RowRange body;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger(), finished = new AtomicInteger();
        volatile Throwable failure;

        Job(int rows, int chunks, RowRange body, Thread caller) {
            this.rows = rows;
            this.chunks = chunks;
            this.body = body;
            this.caller = caller;
        }

        /** Runs chunks until none is left to claim. */
        void help() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure == null) body.run((int) ((long) rows * c / chunks), (int) ((long) rows * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    if (finished.incrementAndGet() == chunks && Thread.currentThread() != caller) LockSupport.unpark(caller);
                }
            }
        }

        /**
         * Returns when every chunk has finished (the caller has claimed all that were left). Polls for SPIN_NANOS
         * first, as an idle worker does: the chunk a worker is still running usually ends within microseconds (a
         * decode step's products are ≈ 0.1 ms each, split in chunks), and a parked caller takes tens of them to wake.
         */
        void await() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (finished.get() < chunks && System.nanoTime() < deadline) Thread.onSpinWait();
            while (finished.get() < chunks) LockSupport.park(this);
        }
    }
}
