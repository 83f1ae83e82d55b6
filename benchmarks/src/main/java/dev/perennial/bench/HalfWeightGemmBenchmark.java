/*
 * What keeping checkpoint weights in F16/BF16 costs (or saves) the CPU backend: a linear layer's forward product
 * x [M, K] · Wᵀ and its input gradient dy [M, N] · W, for a LLaMA-7B layer shape and the 221M bench model's MLP, with
 * W stored as F32, BF16 or F16, M = 64 or 707 rows (a prompt's positions). F32 runs OpenBLAS's sgemm; BF16 goes to the
 * AMX tile kernel where the CPU has it (docs/kernels.md, "BF16 products on AMX tiles"; activations rounded to
 * bfloat16), else half weights are widened tile by tile inside CpuMatmul. The F32 rows are the GEMM reference of
 * each shape; run it with STREAM triad in the same JMH run (docs/performance.md). The "gflop" aux counter reports
 * GFLOP/s (2·M·N·K per call).
 * Run: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main "HalfWeightGemmBenchmark|StreamTriadBenchmark"
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

    /** N x K of the weight [out, in]. */
    @Param({"4096x4096", "2048x768"})
    public String weight;

    @Param({"F32", "BF16", "F16"})
    public String dtype;

    /** Rows of x (tokens). */
    @Param({"64", "707"})
    public int m;

    /** forward: x [M, K] · Wᵀ; backward: dy [M, N] · W. */
    @Param({"forward", "backward"})
    public String pass;

    int n, k;
    Tensor x, dy, w;
    final CpuBackend backend = new CpuBackend(OpenBlasGemm.INSTANCE);

    @Setup(Level.Trial)
    public void setUp() {
        String[] nk = weight.split("x");
        n = Integer.parseInt(nk[0]);
        k = Integer.parseInt(nk[1]);
        Random rng = new Random(3);
        x = GemmBenchmark.uniform(rng, m, k);
        dy = GemmBenchmark.uniform(rng, m, n);
        Tensor w32 = GemmBenchmark.uniform(rng, n, k);
        w = DType.valueOf(dtype) == DType.F32 ? w32 : w32.to(DType.valueOf(dtype));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        dy.close();
        w.close();
    }

    @Benchmark
    public Object linear(GemmBenchmark.Flops flops) {
        Tensor y = pass.equals("forward") ? backend.matmul(x, w.transpose(0, 1))   // [M, N]
                : backend.matmul(dy, w);                                           // [M, K]
        y.close();
        flops.gflop += 2.0 * m * n * k / 1e9;
        return y;
    }
}
