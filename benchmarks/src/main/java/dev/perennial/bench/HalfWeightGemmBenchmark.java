/*
 * What keeping checkpoint weights in F16/BF16 costs the CPU backend: x [64, K] · Wᵀ for the three LLaMA-7B layer
 * shapes with W stored as F32, BF16 or F16. Half weights are widened tile by tile inside CpuMatmul (never up-cast
 * whole), so the extra work is one conversion pass over W per call; this measures it against the F32 GEMM in the
 * same run. The "gflop" aux counter reports GFLOP/s of the product (2·M·N·K per call).
 * Run: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main HalfWeightGemmBenchmark
 */
package dev.perennial.bench;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.OpenBlasGemm;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@State(Scope.Benchmark)
public class HalfWeightGemmBenchmark {

    /** N x K of the weight; M = 64 tokens. */
    @Param({"4096x4096", "11008x4096", "4096x11008"})
    public String weight;

    @Param({"F32", "BF16", "F16"})
    public String dtype;

    int m = 64, n, k;
    Tensor x, w;
    final CpuBackend backend = new CpuBackend(OpenBlasGemm.INSTANCE);

    @Setup(Level.Trial)
    public void setUp() {
        String[] nk = weight.split("x");
        n = Integer.parseInt(nk[0]);
        k = Integer.parseInt(nk[1]);
        Random rng = new Random(3);
        x = GemmBenchmark.uniform(rng, m, k);
        Tensor w32 = GemmBenchmark.uniform(rng, n, k);
        w = DType.valueOf(dtype) == DType.F32 ? w32 : w32.to(DType.valueOf(dtype));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
    }

    @Benchmark
    public Object linear(GemmBenchmark.Flops flops) {
        Tensor y = backend.matmul(x, w.transpose(0, 1));   // [64, N]
        y.close();
        flops.gflop += 2.0 * m * n * k / 1e9;
        return y;
    }
}
