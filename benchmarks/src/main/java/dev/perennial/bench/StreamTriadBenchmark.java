/*
 * The memory-bandwidth reference: McCalpin's STREAM triad a[i] = b[i] + s·c[i]
 * over three float arrays far larger than the caches (3 × 128 MB), split over all cores with Parallel like the
 * backend's own loops. The "gb" counter adds 12 bytes per element (two reads, one write; no write-allocate
 * counted, as STREAM reports). Decode streams every weight once per token, so its bytes per second divided by
 * this rate is how close it runs to the machine's bandwidth (docs/performance.md). Run it in the same JMH run
 * as the workload it is a reference for.
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

    private float[] a, b, c;

    @Setup
    public void setUp() {
        a = new float[N];
        b = new float[N];
        c = new float[N];
        for (int i = 0; i < N; i++) {
            b[i] = i % 7;
            c[i] = i % 11;
        }
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
}
