/*
 * The one-row product of a decode step, y [1, N] = x [1, K] · Wᵀ, through CpuBackend.matmul for the weight shapes of
 * the 221M bench model and of LLaMA-7B, with W stored as F32, BF16 or F16: the path a token takes through every
 * linear layer. Memory-bound, so the aux counter "gb" reports the weight bytes streamed per second; run it in the
 * same JMH run as StreamTriadBenchmark and divide (docs/performance.md, "Decode kernels"). Enough weight copies
 * (≥ 256 MB) rotate that no call finds its W in a cache.
 * With perennial-native on the class path (it is, here) the backend uses the native kernels; to measure the
 * OpenBLAS/Java paths instead run with -jvmArgsAppend -Dperennial.cpuKernels=none.
 * Run: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main "DecodeGemvBenchmark|StreamTriadBenchmark"
 */
package dev.perennial.bench;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.CpuKernels;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
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
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@State(Scope.Benchmark)
public class DecodeGemvBenchmark {
    /** N x K of the weight [out, in]. */
    @Param({"768x768", "2048x768", "768x2048", "32064x768", "4096x4096", "11008x4096"})
    public String weight;

    @Param({"F32", "BF16", "F16"})
    public String dtype;

    /** Weight bytes streamed, summed over invocations (JMH reports it per second). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public double gb;

        @Setup(Level.Iteration)
        public void reset() { gb = 0; }
    }

    final CpuBackend backend = new CpuBackend();
    Tensor x;
    Tensor[] w;
    int next;
    double bytesPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] nk = weight.split("x");
        int n = Integer.parseInt(nk[0]), k = Integer.parseInt(nk[1]);
        DType dt = DType.valueOf(dtype);
        bytesPerCall = (double) n * k * dt.byteSize();
        int copies = (int) Math.max(2, Math.ceil(256e6 / bytesPerCall));
        Random rng = new Random(7);
        x = GemmBenchmark.uniform(rng, 1, k);
        w = new Tensor[copies];
        float[] values = GemmBenchmark.uniform(rng, n, k).toFloatArray();
        for (int i = 0; i < copies; i++) {
            Tensor w32 = Tensor.of(values, n, k);                             // a fresh storage per copy
            w[i] = dt == DType.F32 ? w32 : w32.to(dt);
            if (w[i] != w32) w32.close();
        }
        System.out.println("# kernels: " + (CpuKernels.available() == null ? "none (OpenBLAS sgemv / Java widening)" : CpuKernels.available().name())
                + "; " + copies + " weight copies");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        for (Tensor t : w) t.close();
    }

    @Benchmark
    public Object decodeProduct(Bytes bytes) {
        Tensor wi = w[next];
        next = (next + 1) % w.length;
        Tensor y = backend.matmul(x, wi.transpose(0, 1));    // [1, N]
        y.close();
        bytes.gb += bytesPerCall / 1e9;
        return y;
    }
}
