/*
 * ModalPrompt's selection and prompt cost, in one JMH run:
 *   select     - PromptSimilarity for a batch of 64 queries (image + text, d = 768, K = 3) over a pool of
 *                t = 8, 64 or 1024 task keys: the vectorised CPU path ("cpu") and the double-accumulation
 *                reference ("reference"), same inputs, in throughput mode. The "gflop" counter adds 2·M·nq·t·d
 *                per call (the cosine dot products) and "queries" adds 64, so JMH prints GFLOP/s and queries/s.
 *   prefill    - one forward pass of the LLaMA decoder of LlamaInferenceBenchmark (12 layers, hidden 768, 135M
 *                parameters) over a LLaVA-shaped prompt of 576 image rows + 64 text tokens with 0, 10 or 30 prompt
 *                rows inserted after BOS (ModalPrompt inserts L · min(t, K) <= 30): the extra prefill cost.
 * No GPU exists here: the CUDA kernel's speed is not measured (docs/kernels.md gives its bounds).
 */
package dev.perennial.bench;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.prompt.PromptSimilarity;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class PromptSelectionBenchmark {
    static final int NQ = 64, D = 768, K = 3;
    static final float[] WEIGHTS = {0.5f, 0.5f};

    /** Work counters summed per iteration: GFLOP and queries (JMH divides by time). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Work {
        public double gflop;
        public double queries;
    }

    @State(Scope.Benchmark)
    public static class Pool {
        @Param({"8", "64", "1024"})
        public int tasks;
        @Param({"cpu", "reference"})
        public String impl;
        Tensor queries, keys;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom r = new SplittableRandom(tasks);
            queries = random(r, 2, NQ, D);
            keys = random(r, 2, tasks, D);
        }
    }

    static Tensor random(SplittableRandom r, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return Tensor.of(v, shape);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Object select(Pool p, Work w) {
        w.gflop += 2.0 * 2 * NQ * p.tasks * D / 1e9;
        w.queries += NQ;
        int k = Math.min(K, p.tasks);
        return p.impl.equals("cpu") ? PromptSimilarity.cpu(p.queries, p.keys, WEIGHTS, null, k)
                : PromptSimilarity.reference(p.queries, p.keys, WEIGHTS, null, k);
    }

    @State(Scope.Benchmark)
    public static class Model {
        static final LlamaConfig TEXT = new LlamaConfig(768, 2048, 12, 12, 12, 32000, 1e-5f, 10000f, 2048, false, 1, 2);
        static final ClipVisionConfig VISION = new ClipVisionConfig(64, 128, 2, 4, 28, 14, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU);
        static final int IMAGE = 576, TEXT_TOKENS = 64;

        @Param({"0", "10", "30"})
        public int promptRows;
        final Backend be = new CpuBackend();
        Path dir;
        LlavaModel model;
        Tensor embeds, positions;
        boolean[][] valid;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = SyntheticCheckpoint.write(Files.createTempDirectory("perennial-bench"), TEXT, VISION, 31999, DType.F32, 1);
            model = LlavaModel.load(dir);
            LlamaDecoder dec = model.decoder();
            SplittableRandom r = new SplittableRandom(3);
            int t = 1 + promptRows + IMAGE + TEXT_TOKENS;
            long[] ids = new long[TEXT_TOKENS + 1];
            ids[0] = 1;
            for (int i = 1; i < ids.length; i++) ids[i] = 3 + r.nextInt(31000);
            Tensor text = dec.embed(be, Tensor.ofLongs(ids, ids.length));                               // [65, D]
            Tensor image = random(r, IMAGE, TEXT.hiddenSize()), prompt = random(r, Math.max(promptRows, 1), TEXT.hiddenSize());
            List<Tensor> parts = promptRows == 0
                    ? List.of(text.narrow(0, 0, 1), image, text.narrow(0, 1, TEXT_TOKENS))
                    : List.of(text.narrow(0, 0, 1), prompt, image, text.narrow(0, 1, TEXT_TOKENS));
            embeds = be.concat(parts, 0).reshape(1, t, TEXT.hiddenSize());                               // [1, T, D]
            long[] pos = new long[t];
            for (int i = 0; i < t; i++) pos[i] = i;
            positions = Tensor.ofLongs(pos, 1, t);
            valid = new boolean[1][t];
            java.util.Arrays.fill(valid[0], true);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            model.close();
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    @Warmup(iterations = 1, time = 2)
    @Measurement(iterations = 3, time = 4)
    public float prefill(Model m) {
        try (TensorScope ignored = TensorScope.open()) {
            LlamaDecoder dec = m.model.decoder();
            Tensor h = dec.forward(m.be, m.embeds, m.positions, m.valid, null).normed();
            return dec.logits(m.be, h.narrow(1, h.size(1) - 1, 1)).getFloat(0, 0, 0);
        }
    }
}
