/*
 * GEMM throughput: the CPU backend's matmul against OpenBLAS called directly on the
 * same memory, the ND4J GEMM choice of the backend, and the plain-Java loop, in one JMH run.
 *
 * Shapes: squares 256..2048 ([n, n] x [n, n], row-major) and the three GEMM shapes of one LLaMA-7B decoder layer
 * at 64 tokens, in the layout the model uses: activations x [64, K] times a weight W [N, K] read transposed
 * (x · Wᵀ): q/k/v/o [4096 x 4096], gate/up [11008 x 4096], down [4096 x 11008].
 * The "flop" aux counter adds 2·M·N·K per call, so JMH prints GFLOP/s directly (in units of 1e9 flop / s).
 * The backend pays for what a user pays (allocating its result, closed after use as a well-behaved caller or
 * a PointerScope does); the direct calls reuse a preallocated C.
 */
package dev.perennial.bench;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.JavaGemm;
import dev.perennial.tensor.OpenBlasGemm;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.nd4j.Nd4jGemm;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@State(Scope.Benchmark)
public class GemmBenchmark {

    /** name: M x N x K, and whether B is a transposed weight (x · Wᵀ). */
    @Param({"square256", "square512", "square1024", "square2048",
            "llama7b_qkvo_t64", "llama7b_gateup_t64", "llama7b_down_t64"})
    public String shape;

    /** backend = CpuBackend.matmul (OpenBLAS, split by Parallel), openblas = cblas_sgemm direct with OpenBLAS's threads, nd4j = backend with the ND4J GEMM, java = plain Java. */
    @Param({"backend", "openblas", "nd4j", "java"})
    public String impl;

    int m, n, k;
    boolean weightT;
    Tensor a, b, c;
    CpuBackend backend;
    FloatPointer pa, pb, pc;

    @Setup(Level.Trial)
    public void setUp() {
        switch (shape) {
            case "llama7b_qkvo_t64": m = 64; n = 4096; k = 4096; weightT = true; break;
            case "llama7b_gateup_t64": m = 64; n = 11008; k = 4096; weightT = true; break;
            case "llama7b_down_t64": m = 64; n = 4096; k = 11008; weightT = true; break;
            default: m = n = k = Integer.parseInt(shape.substring("square".length())); weightT = false;
        }
        Random rng = new Random(1);
        a = uniform(rng, m, k);
        b = weightT ? uniform(rng, n, k).transpose(0, 1) : uniform(rng, k, n);   // logical [k, n] either way
        c = Tensor.zeros(m, n);
        backend = new CpuBackend(impl.equals("nd4j") ? Nd4jGemm.INSTANCE : OpenBlasGemm.INSTANCE);
        // the reference: OpenBLAS with its own threads, as any program calling it would (the backend sets it to one
        // thread and splits products itself; each JMH fork is a fresh JVM, so the setting here is this trial's alone)
        if (impl.equals("openblas")) openblas_nolapack.blas_set_num_threads(Runtime.getRuntime().availableProcessors());
        pa = new FloatPointer(a.storage().pointer());
        pb = new FloatPointer(b.storage().pointer());
        pc = new FloatPointer(c.storage().pointer());
    }

    /** A [rows, cols] tensor of uniform values in [-1, 1) (shared by the GEMM benchmarks). */
    static Tensor uniform(Random rng, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextFloat() * 2 - 1;
        return Tensor.of(v, rows, cols);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }

    /** GFLOP counter: JMH divides it by the iteration time, giving GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() { gflop = 0; }
    }

    @Benchmark
    public Object gemm(Flops flops) {
        Object result;
        switch (impl) {
            case "backend":
            case "nd4j":
                Tensor out = backend.matmul(a, b);
                out.close();
                result = out;
                break;
            case "openblas":
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        weightT ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                        m, n, k, 1f, pa, k, pb, weightT ? k : n, 0f, pc, n);
                result = pc;
                break;
            case "java":
                JavaGemm.INSTANCE.sgemm(false, weightT, m, n, k, 1f, a.storage(), 0, k, b.storage(), 0,
                        weightT ? k : n, 0f, c.storage(), 0, n);
                result = c;
                break;
            default:
                throw new IllegalArgumentException(impl);
        }
        flops.gflop += 2.0 * m * n * k / 1e9;
        return result;
    }
}
