/*
 * The memory-bandwidth reference: McCalpin's STREAM triad a[i] = b[i] + s·c[i]
 * over three float arrays far larger than the caches (3 × 128 MB), split over all cores with Parallel like the
 * backend's own loops. The "gb" counter adds 12 bytes per element (two reads, one write; no write-allocate
 * counted, as STREAM reports). Decode streams every weight once per token, so its bytes per second divided by
 * this rate is how close it runs to the machine's bandwidth (docs/performance.md). Run it in the same JMH run
 * as the workload it is a reference for.
 *
 * "read" is the read-only reference: two equal int arrays of 128 MB compared with Arrays.mismatch, the JDK's vectorised
 * intrinsic (a plain Java sum loop is not vectorised and would be compute-bound). A decode step only reads its
 * weights, and on this machine a core's reads are bounded by the misses it can keep in flight rather than by the
 * memory's bandwidth, so a read-only stream can run below the triad (docs/performance.md, "Decode's bandwidth
 * ceiling"). Its "gb" counter adds 8 bytes per element.
 */
package dev.perennial.bench;

import dev.perennial.tensor.Parallel;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@State(Scope.Benchmark)
public class StreamTriadBenchmark {
    static final int N = 32 << 20;                         // 32M floats = 128 MB per array

    /** Bytes moved, summed over invocations (JMH reports it per second). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public double gb;

        @Setup(Level.Iteration)
        public void reset() { gb = 0; }
    }

    static final int R = 32 << 20;                         // 32M ints = 128 MB per array, read only

    private float[] a, b, c;
    private int[] r, q;

    @Setup
    public void setUp() {
        a = new float[N];
        b = new float[N];
        c = new float[N];
        for (int i = 0; i < N; i++) {
            b[i] = i % 7;
            c[i] = i % 11;
        }
        r = new int[R];
        q = new int[R];
        for (int i = 0; i < R; i++) r[i] = q[i] = i % 13;
    }

    @Benchmark
    public float triad(Bytes bytes) {
        float s = 3f;
        Parallel.forRows(64, N / 64, (r0, r1) -> {
            int from = (int) ((long) N * r0 / 64), to = (int) ((long) N * r1 / 64);
            for (int i = from; i < to; i++) a[i] = b[i] + s * c[i];
        });
        bytes.gb += 12.0 * N / 1e9;
        return a[N - 1];
    }

    @Benchmark
    public long read(Bytes bytes) {
        long[] found = new long[64];
        Parallel.forRows(64, R / 64, (r0, r1) -> {
            for (int c0 = r0; c0 < r1; c0++) {
                int from = (int) ((long) R * c0 / 64), to = (int) ((long) R * (c0 + 1) / 64);
                found[c0] = java.util.Arrays.mismatch(r, from, to, q, from, to);     // -1: equal
            }
        });
        bytes.gb += 8.0 * R / 1e9;
        long total = 0;
        for (long x : found) total += x;
        return total;
    }
}
