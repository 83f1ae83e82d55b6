/*
 * Rademacher random projection of ADAPT-∞ gradient features (docs/methods/adapt-inf.md §2.4): a batch of 16 per-sample
 * gradients (TRAK projects every 16 samples) of d = 10M coordinates (one LLaMA-7B decoder layer's LoRA at
 * r = 128 is 9,994,240) onto k = 8192 signs generated on the fly, on the CPU backend.
 *  - fast: RandomProjection.project (±1 panels expanded from the hash bits, OpenBLAS sgemm) on the whole 10M;
 *  - sparse: SparseProjection (the block-sparse Johnson–Lindenstrauss option, 4 nonzeros per coordinate) on it;
 *  - fastSlice / referenceSlice: the same fast path and RandomProjection.reference (a hash per sign, double
 *    accumulation, one thread) on the first 16384 coordinates, the ratio measured in the same run. The
 *    reference needs ~13 s for the slice on the project's machine, so about 2 h per op at 10M; its rate per
 *    coordinate does not depend on d (every coordinate costs k signs and n·k adds), so the slice gives its rate.
 * Mode AverageTime; SelectionReport reports GFLOP/s with 2·n·d·k flops per op and samples/s = n / (s/op).
 */
package dev.perennial.bench;

import dev.perennial.select.RandomProjection;
import dev.perennial.select.SparseProjection;
import dev.perennial.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxbytes=6g"})
public class ProjectionBenchmark {
    static final long SEED = 0;

    @State(Scope.Benchmark)
    public static class Shape {
        @Param("16")
        public int samples;
        @Param("8192")
        public int k;
        final RandomProjection projection = new RandomProjection();
        final SparseProjection sparse = new SparseProjection();
    }

    /** Gradients [samples, dim] with uniform entries in [-1, 1). */
    static Tensor gradients(int samples, int dim) {
        SplittableRandom rng = new SplittableRandom(3);
        float[] v = new float[Math.multiplyExact(samples, dim)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return Tensor.of(v, samples, dim);
    }

    @State(Scope.Benchmark)
    public static class Full {
        @Param("10000000")
        public int dim;
        Tensor x;

        @Setup(Level.Trial)
        public void setUp(Shape s) { x = gradients(s.samples, dim); }

        @TearDown(Level.Trial)
        public void tearDown() { x.close(); }
    }

    @State(Scope.Benchmark)
    public static class Slice {
        @Param("16384")
        public int sliceDim;
        Tensor x;

        @Setup(Level.Trial)
        public void setUp(Shape s) { x = gradients(s.samples, sliceDim); }

        @TearDown(Level.Trial)
        public void tearDown() { x.close(); }
    }

    @Benchmark
    public float fast(Shape s, Full g) {
        try (Tensor out = s.projection.project(g.x, 0, s.k, SEED)) {
            return out.storage().getFloat(0);
        }
    }

    /** The block-sparse Johnson–Lindenstrauss option (`score --projection sparse`) on the same 10M gradients. */
    @Benchmark
    public float sparse(Shape s, Full g) {
        try (Tensor out = Tensor.zeros(g.x.size(0), s.k)) {
            s.sparse.accumulate(g.x, 0, SEED, out);
            return out.storage().getFloat(0);
        }
    }

    @Benchmark
    public float fastSlice(Shape s, Slice g) {
        try (Tensor out = s.projection.project(g.x, 0, s.k, SEED)) {
            return out.storage().getFloat(0);
        }
    }

    @Benchmark
    public float referenceSlice(Shape s, Slice g) {
        try (Tensor out = RandomProjection.reference(g.x, 0, s.k, SEED)) {
            return out.storage().getFloat(0);
        }
    }
}
