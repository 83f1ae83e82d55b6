/*
 * Training-step speed on the generated LLaMA-shaped model of LlamaInferenceBenchmark
 * (12 layers, hidden 768, 135M parameters), one 256-token sequence (no image), the last half supervised:
 * forward + backward through the recording GradBackend, no optimizer, for full fine-tuning, LoRA (rank 128 on
 * q/k/v/o/gate/up/down, LLaVA's) and prompt tuning (10 prompt tokens after BOS).
 * The "gflop" counter adds the GEMM work each step executes: forward linear GEMMs F_lin and attention
 * F_att; backward dX GEMMs (another F_lin + 2 F_att, since gradients flow to the bottom in all three modes) and,
 * for full fine-tuning, dW GEMMs (another F_lin). LoRA's own small GEMMs are not counted. Compare with
 * LlamaInferenceBenchmark.gemmReference for the fraction of the GEMM rate.
 */
package dev.perennial.bench;

import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.TrainingStep;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 4, time = 8)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g"})
@State(Scope.Benchmark)
public class LlamaTrainingBenchmark {
    static final int T = 256;
    static final LlamaConfig TEXT = LlamaInferenceBenchmark.TEXT;

    @Param({"full", "lora", "prompt"})
    public String mode;

    final Backend be = new CpuBackend();
    Path dir;
    LlavaModel model;
    Map<String, Tensor> params;
    PromptInsertion prompt;
    long[] ids, labels;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = SyntheticCheckpoint.write(Files.createTempDirectory("perennial-train-bench"), TEXT, LlamaInferenceBenchmark.VISION,
                31999, DType.F32, 1);
        model = LlavaModel.load(dir, null, mode.equals("full"));
        switch (mode) {
            case "full" -> params = model.weights();
            case "lora" -> params = Lora.parameters(Lora.attach(model.linears(), LoraConfig.llm(128, 256, 0f), 0));
            default -> {
                prompt = new PromptInsertion(Tensor.zeros(10, TEXT.hiddenSize()), PromptInsertion.Placement.AFTER_BOS);
                params = Map.of("prompt", prompt.embeddings());
            }
        }
        Random rng = new Random(5);
        ids = new long[T];
        labels = new long[T];
        for (int i = 0; i < T; i++) {
            ids[i] = i == 0 ? 1 : 3 + rng.nextInt(31000);
            labels[i] = i < T / 2 ? -100 : ids[i];
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        model.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** GEMM FLOPs of one step (see the class comment). */
    double flops() {
        int t = T + (prompt == null ? 0 : prompt.length());
        long d = TEXT.hiddenSize(), q = (long) TEXT.numHeads() * TEXT.headDim(), kv = (long) TEXT.numKvHeads() * TEXT.headDim();
        double lin = TEXT.numLayers() * 2.0 * t * (d * q + 2 * d * kv + q * d + 3 * d * TEXT.intermediateSize()) + 2.0 * t * d * TEXT.vocabSize();
        double att = TEXT.numLayers() * 4.0 * t * t * q;
        return (mode.equals("full") ? 3 : 2) * lin + 3 * att;
    }

    @Benchmark
    public Object step(GemmBenchmark.Flops flops) {
        TrainingStep.Result r = TrainingStep.run(model, be, params, prompt, List.of(ids), null, List.of(labels));
        r.gradients().values().forEach(Tensor::close);
        flops.gflop += flops() / 1e9;
        return r.loss();
    }
}
