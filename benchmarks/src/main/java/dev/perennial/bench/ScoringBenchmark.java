/*
 * ADAPT-∞ scoring cost per sample (docs/methods/adapt-inf.md §2, §4, §5; select.ScoringPass) on the generated LLaMA-shaped
 * model of LlamaInferenceBenchmark (12 layers, hidden 768, 135M parameters, F32) with LoRA r = 128 on every
 * q/k/v/o/gate/up/down (B random, as after training), one 256-position sample (an image marker with the
 * benchmark tower's 4 features, the last half supervised), batch 1:
 *   forward   HIDDEN_MEAN vector + ppl, el2n, entropy: one forward pass
 *   gradient  LoRA-gradient vector of the last layer (14,592·r = 1,867,776 coordinates) projected to k = 8192,
 *             + GraNd: one forward + backward into that layer's adapters + the projection
 *   all       gradient + IG (REMOVE): one more forward pass without the image
 * (group: copies of the sample per call, run one by one, their gradients projected together; s/op is per call.)
 * projectLlama7bLayer: the projection alone of LLaVA-1.5-7B last-layer gradients at r = 128 (78,080·128 =
 * 9,994,240 coordinates, spec §2.3) to k = 8192, in the adapters' own tensors (no concatenation), 1 or 16
 * samples at a time (the official code projects buffers of 16). The "gflop" counter adds the projection's 2·n·d·k.
 */
package dev.perennial.bench;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.benchdata.SyntheticCheckpoint;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.select.LoraLayers;
import dev.perennial.select.RandomProjection;
import dev.perennial.select.SampleVectors;
import dev.perennial.select.Scorer;
import dev.perennial.select.ScoringPass;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.PerSampleGradients.AdapterGradients;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 4, time = 8)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g"})
public class ScoringBenchmark {
    static final int T = 256, K = 8192;
    static final LlamaConfig TEXT = LlamaInferenceBenchmark.TEXT;

    @State(Scope.Benchmark)
    public static class Pass {
        @Param({"forward", "gradient", "all"})
        public String mode;

        /** Samples per call (copies of the one sample), their gradients projected together; model passes of 1. */
        @Param({"1", "16"})
        public int group;

        Path dir;
        LlavaModel model;
        ScoringPass pass;
        List<TrainingExample> sample;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = SyntheticCheckpoint.write(Files.createTempDirectory("perennial-score-bench"), TEXT, LlamaInferenceBenchmark.VISION,
                    31999, DType.F32, 1);
            model = LlavaModel.load(dir);
            Map<String, LoraAdapter> adapters = Lora.attach(model.linears(), LoraConfig.llm(128, 256, 0f), 0);
            Random rng = new Random(5);
            for (LoraAdapter ad : adapters.values()) {
                for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) (rng.nextGaussian() * 0.01));
            }
            int features = model.config().imageFeatureCount();
            long[] ids = new long[T - features + 1], labels = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i == 0 ? 1 : i == 1 ? 31999 : 3 + rng.nextInt(31000);
                labels[i] = i < ids.length - T / 2 ? -100 : ids[i];
            }
            int s = LlamaInferenceBenchmark.VISION.imageSize();
            float[] px = new float[3 * s * s];
            for (int i = 0; i < px.length; i++) px[i] = (float) rng.nextGaussian();
            sample = Collections.nCopies(group, new TrainingExample(0, "bench", ids, labels, Tensor.of(px, 3, s, s)));
            SampleVectors.Config cfg = mode.equals("forward")
                    ? new SampleVectors.Config(SampleVectors.Source.HIDDEN_MEAN, List.of(), 1, 0)
                    : new SampleVectors.Config(SampleVectors.Source.LORA_GRAD, List.of(), K, 0);
            Set<Scorer.Requirement> needs = switch (mode) {
                case "forward" -> Set.of();
                case "gradient" -> Set.of(Scorer.Requirement.GRADIENT);
                default -> Set.of(Scorer.Requirement.GRADIENT, Scorer.Requirement.NO_IMAGE_REMOVED);
            };
            pass = new ScoringPass(model, new CpuBackend(), cfg, needs, new RandomProjection(), 1);
            if (!mode.equals("forward") && LoraLayers.gradientLength(pass.adapters()) != 14_592L * 128) throw new IllegalStateException();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            model.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Layer7b {
        /** Gradients projected together (the official code buffers 16). */
        @Param({"1", "16"})
        public int samples;

        SampleVectors vectors = new SampleVectors(new RandomProjection());
        Map<String, AdapterGradients> gradient = new LinkedHashMap<>();

        @Setup(Level.Trial)
        public void setUp() {
            int r = 128, d = 4096, inter = 11008;
            int[][] shapes = {{d, d}, {d, d}, {d, d}, {d, d}, {d, inter}, {d, inter}, {inter, d}};   // {in, out}: q k v o gate up down
            Random rng = new Random(3);
            for (int i = 0; i < shapes.length; i++) {
                gradient.put("layers.31.m" + i, new AdapterGradients(random(rng, samples, r, shapes[i][0]), random(rng, samples, shapes[i][1], r)));
            }
        }

        private static Tensor random(Random rng, int... shape) {
            Tensor t = Tensor.zeros(shape);
            for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, (float) rng.nextGaussian());
            return t;
        }
    }

    @Benchmark
    public Object sample(Pass p) {
        return p.pass.run(p.sample);
    }

    @Benchmark
    @Warmup(iterations = 1, time = 1)
    @Measurement(iterations = 3, time = 1)
    public Object projectLlama7bLayer(Layer7b l, GemmBenchmark.Flops flops) {
        flops.gflop += 2.0 * l.samples * 9_994_240 * K / 1e9;
        return l.vectors.project(l.gradient, K, 0);
    }
}
