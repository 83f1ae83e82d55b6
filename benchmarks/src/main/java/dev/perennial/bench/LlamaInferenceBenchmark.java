/*
 * Inference speed of a generated LLaMA-shaped decoder sized for this machine: 12 layers,
 * hidden 768, 12 heads, intermediate 2048, vocabulary 32000 (135M parameters, F32), built by
 * SyntheticCheckpoint and loaded like a real checkpoint. Measured in one run:
 *   prefill512 - the decoder over a 512-position prompt with the KV cache, plus the last position's logits;
 *   decodeStep - one token at position 512 with a 512-long cache (the cache is truncated back after each call);
 *   gemmReference - CpuBackend.matmul of [512, 768] x [2048, 768]ᵀ (the up-projection shape), the GEMM rate
 *                   the model's matmuls could reach on this machine.
 * The "gflop" aux counter adds the FLOPs of each call (GEMMs: 2·M·N·K; attention scores and weighted sums over
 * the full T×Tk product the implementation computes), so JMH prints achieved GFLOP/s; divide by gemmReference
 * for the fraction of the measured GEMM rate. Only the decoder is timed (image encoding is the CLIP tower's).
 */
package dev.perennial.bench;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.KvCache;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.bytedeco.javacpp.PointerScope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@State(Scope.Benchmark)
public class LlamaInferenceBenchmark {
    static final int T = 512;
    static final LlamaConfig TEXT = new LlamaConfig(768, 2048, 12, 12, 12, 32000, 1e-5f, 10000f, 2048, false, 1, 2);
    static final ClipVisionConfig VISION = new ClipVisionConfig(64, 128, 2, 4, 28, 14, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU);

    final Backend be = new CpuBackend();
    Path dir;
    LlavaModel model;
    LlamaDecoder dec;
    Tensor promptEmbeds, promptPositions, stepEmbeds, stepPosition, gemmA, gemmW;
    KvCache stepCache;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = SyntheticCheckpoint.write(Files.createTempDirectory("perennial-bench"), TEXT, VISION, 31999, DType.F32, 1);
        model = LlavaModel.load(dir);
        dec = model.decoder();
        Random rng = new Random(2);
        long[] ids = new long[T], pos = new long[T];
        for (int i = 0; i < T; i++) {
            ids[i] = 3 + rng.nextInt(31000);
            pos[i] = i;
        }
        promptEmbeds = dec.embed(be, Tensor.ofLongs(ids, 1, T));
        promptPositions = Tensor.ofLongs(pos, 1, T);
        stepEmbeds = dec.embed(be, Tensor.ofLongs(new long[]{42}, 1, 1));
        stepPosition = Tensor.ofLongs(new long[]{T}, 1, 1);
        stepCache = new KvCache(TEXT, 1, T + 1);
        dec.forward(be, promptEmbeds, promptPositions, null, stepCache);
        gemmA = Tensor.zeros(T, 768);
        gemmW = Tensor.zeros(2048, 768);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        stepCache.close();
        model.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** FLOPs of one decoder pass over t new positions attending to tk keys, plus logits for one position. */
    static double flops(int t, int tk) {
        long d = TEXT.hiddenSize(), q = (long) TEXT.numHeads() * TEXT.headDim(), kv = (long) TEXT.numKvHeads() * TEXT.headDim();
        long linear = d * q + 2 * d * kv + q * d + 3 * d * TEXT.intermediateSize();
        double perLayer = 2.0 * t * linear + 2.0 * 2.0 * t * tk * q;
        return TEXT.numLayers() * perLayer + 2.0 * d * TEXT.vocabSize();
    }

    @Benchmark
    public Object prefill512(GemmBenchmark.Flops flops) {
        try (PointerScope scope = new PointerScope(); KvCache cache = new KvCache(TEXT, 1, T)) {
            Tensor h = dec.forward(be, promptEmbeds, promptPositions, null, cache).normed();
            Tensor logits = dec.logits(be, h.narrow(1, T - 1, 1));
            flops.gflop += flops(T, T) / 1e9;
            return logits.getFloat(0, 0, 0);
        }
    }

    @Benchmark
    public Object decodeStep(GemmBenchmark.Flops flops) {
        try (PointerScope scope = new PointerScope()) {
            Tensor h = dec.forward(be, stepEmbeds, stepPosition, null, stepCache).normed();
            Tensor logits = dec.logits(be, h);
            stepCache.truncate(T);
            flops.gflop += flops(1, T + 1) / 1e9;
            return logits.getFloat(0, 0, 0);
        }
    }

    @Benchmark
    public Object gemmReference(GemmBenchmark.Flops flops) {
        try (PointerScope scope = new PointerScope()) {
            Tensor y = be.matmul(gemmA, gemmW.transpose(0, 1));
            flops.gflop += 2.0 * T * 2048 * 768 / 1e9;
            return y.getFloat(0, 0);
        }
    }
}
