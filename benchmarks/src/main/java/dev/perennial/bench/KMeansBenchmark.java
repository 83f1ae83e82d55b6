/*
 * ADAPT-∞ pseudo-task clustering at pool scale (docs/methods/adapt-inf.md §3): N = 100k sample vectors of d = 8192 (the
 * projection size, §2.4) and K = 10 clusters (the official default), generated on the fly as unit vectors near
 * K random directions. Two operations, each with its fast CPU path and its plain double-accumulation reference in
 * the same run:
 *  - assignment: KMeansAssignment.assign (sgemm expansion, parallel) vs KMeansAssignment.reference (Σ (x − c)² in
 *    double, one thread). A tensor holds at most 2 GiB, so the 3.3 GB of points are 5 tensors of 20k rows,
 *    assigned one after the other; an op is the whole 100k.
 *  - one Lloyd iteration: KMeans.lloydIteration (assignment + mean update, in fixed chunks of 256 points on both
 *    cores) with the GEMM assignment vs the EXACT one (Σ (x − c)² in double), over a heap VectorSource.
 *  - whole fit: KMeans.fit with Config.of(K) (the official MINI_BATCH, batch 10240, EXACT assignment, seed 0) and
 *    nInit = 1 (a single k-means++ start) or KMeans.DEFAULT_N_INIT restarts, in the same run so the ratio survives a
 *    shared machine's drift (docs/performance.md records both); fitOneEpoch stops after one epoch, so it times the
 *    initialisation (k-means++ on 3·batch points, or the restarts) plus one epoch and the final assignment, without
 *    the restarts' effect on the number of epochs.
 * Mode AverageTime (seconds per op); SelectionReport turns it into GFLOP/s with 2·N·K·d flops per assignment and
 * 2·N·K·d + N·d per Lloyd iteration (the sums), the same count for both implementations; a whole fit is reported in
 * seconds and as the ratio to nInit = 1.
 */
package dev.perennial.bench;

import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.KMeansAssignment;
import dev.perennial.cluster.VectorSource;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.bytedeco.javacpp.maxbytes=8g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g"})
public class KMeansBenchmark {
    /** Rows per tensor (20000 × 8192 f32 = 655 MB, under the 2 GiB limit of one storage). */
    static final int BLOCK = 20_000;

    @State(Scope.Benchmark)
    public static class Shape {
        @Param("100000")
        public int n;
        @Param("8192")
        public int d;
        @Param("10")
        public int k;

        float[][] directions;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom rng = new SplittableRandom(1);
            directions = new float[k][];
            for (int c = 0; c < k; c++) directions[c] = unit(uniform(rng, d, 1));
        }

        /** Point i: direction i % K plus uniform noise, L2-normalised, written to out[at, at + d). */
        void point(int i, SplittableRandom rng, float[] out, int at) {
            float[] dir = directions[i % k];
            double norm = 0;
            for (int j = 0; j < d; j++) {
                float v = dir[j] + (float) ((rng.nextDouble() - 0.5) * 0.05);
                out[at + j] = v;
                norm += (double) v * v;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < d; j++) out[at + j] *= inv;
        }

        /** K centroids near the directions (not equal to them, so distances are not degenerate). */
        float[][] centroids() {
            SplittableRandom rng = new SplittableRandom(2);
            float[][] c = new float[k][];
            for (int j = 0; j < k; j++) {
                c[j] = directions[j].clone();
                for (int q = 0; q < d; q++) c[j][q] += (float) ((rng.nextDouble() - 0.5) * 0.01);
            }
            return c;
        }
    }

    /** The points as tensors of BLOCK rows, for KMeansAssignment. */
    @State(Scope.Benchmark)
    public static class Blocks {
        Tensor[] blocks;
        Tensor centroids;
        KMeansAssignment assignment;

        @Setup(Level.Trial)
        public void setUp(Shape s) {
            blocks = new Tensor[(s.n + BLOCK - 1) / BLOCK];
            for (int b = 0; b < blocks.length; b++) {
                int rows = Math.min(BLOCK, s.n - b * BLOCK);
                float[] x = new float[rows * s.d];
                SplittableRandom rng = new SplittableRandom(100 + b);
                for (int r = 0; r < rows; r++) s.point(b * BLOCK + r, rng, x, r * s.d);
                blocks[b] = Tensor.of(x, rows, s.d);
            }
            float[][] c = s.centroids();
            float[] flat = new float[s.k * s.d];
            for (int j = 0; j < s.k; j++) System.arraycopy(c[j], 0, flat, j * s.d, s.d);
            centroids = Tensor.of(flat, s.k, s.d);
            assignment = new KMeansAssignment();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (Tensor t : blocks) t.close();
            centroids.close();
        }
    }

    /** The points as a heap VectorSource, for KMeans. */
    @State(Scope.Benchmark)
    public static class Points {
        VectorSource vectors;
        float[][] centroids;

        @Setup(Level.Trial)
        public void setUp(Shape s) {
            float[] x = new float[Math.multiplyExact(s.n, s.d)];
            for (int b = 0; b * BLOCK < s.n; b++) {
                SplittableRandom rng = new SplittableRandom(100 + b);
                for (int r = 0; r < Math.min(BLOCK, s.n - b * BLOCK); r++) s.point(b * BLOCK + r, rng, x, (b * BLOCK + r) * s.d);
            }
            vectors = new ArrayVectors(x, s.n, s.d);
            centroids = s.centroids();
        }
    }

    /** Rows of one float array (InMemoryVectors copies its input; at 3.3 GB one copy is enough). */
    record ArrayVectors(float[] data, int size, int dim) implements VectorSource {
        @Override
        public void read(int index, float[] dst) {
            System.arraycopy(data, index * dim, dst, 0, dim);
        }
    }

    /** The restarts of the whole-fit benchmark. */
    @State(Scope.Benchmark)
    public static class Restarts {
        @Param({"1", "10"})
        public int nInit;
    }

    @Benchmark
    public KMeans.Result fit(Points p, Shape s, Restarts r) {
        return KMeans.fit(p.vectors, KMeans.Config.of(s.k).withNInit(r.nInit));
    }

    /** A fit cut to one epoch: the initialisation's cost (k-means++ or the restarts) without its effect on convergence. */
    @Benchmark
    public KMeans.Result fitOneEpoch(Points p, Shape s, Restarts r) {
        return KMeans.fit(p.vectors, KMeans.Config.of(s.k).withNInit(r.nInit).withMaxIterations(1));
    }

    @Benchmark
    public void assignFast(Blocks b, Blackhole bh) {
        for (Tensor x : b.blocks) bh.consume(b.assignment.assign(x, b.centroids));
    }

    @Benchmark
    public void assignReference(Blocks b, Blackhole bh) {
        for (Tensor x : b.blocks) bh.consume(KMeansAssignment.reference(x, b.centroids));
    }

    @Benchmark
    public KMeans.Iteration lloydGemm(Points p) {
        return KMeans.lloydIteration(p.vectors, p.centroids, KMeans.Assignment.GEMM);
    }

    @Benchmark
    public KMeans.Iteration lloydExact(Points p) {
        return KMeans.lloydIteration(p.vectors, p.centroids, KMeans.Assignment.EXACT);
    }

    static float[] uniform(SplittableRandom rng, int d, double scale) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return v;
    }

    static float[] unit(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        for (int j = 0; j < v.length; j++) v[j] = (float) (v[j] / Math.sqrt(s));
        return v;
    }
}
