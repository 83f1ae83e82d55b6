/*
 * `perennial bench`: inference speed of any checkpoint on this machine. A synthetic prompt (one image, when the
 * model has a vision tower — every LLaVA does — plus random text ids up to --prompt-tokens merged positions) is
 * prefilled, then --new-tokens tokens are decoded one at a time with the KV cache (batch 1, greedy). Repeated
 * --repeat times after --warmup unmeasured runs (default 1); prints the median prefill and decode rates in tokens/s. With --train
 * full|lora|prompt it times training steps on the same prompt instead (forward + backward, no optimizer).
 */
package dev.perennial.cli;

import dev.perennial.llava.KvCache;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.MergedInputs;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainingStep;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.HostMemoryPool;
import dev.perennial.tensor.TensorScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode speed (median tokens/s) of a checkpoint.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AdapterOption adapterOption;



    @Option(names = "--prompt-tokens", defaultValue = "512", description = "Merged prompt length incl. image features (default 512).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", description = "Tokens decoded per run (default 64).")
    int newTokens;

    @Option(names = "--repeat", defaultValue = "3", description = "Measured runs after the warm-up (default 3).")
    int repeat;

    /** What a training step trains. */
    enum TrainMode { full, lora, prompt }

    @Option(names = "--train", description = "Time training steps (forward + backward, no optimizer) instead: full, lora or prompt.")
    TrainMode train;

    @Option(names = "--gradient-checkpointing", description = "With --train: recompute each decoder layer in backward "
            + "instead of keeping its activations (less memory, one more forward).")
    boolean gradientCheckpointing;

    @Option(names = "--warmup", defaultValue = "1",
            description = "Unmeasured runs before the measured ones (default ${DEFAULT-VALUE}; 0 for a model that takes minutes per run).")
    int warmup;

    @Option(names = "--lora-rank", defaultValue = "128", description = "LoRA rank for --train lora (default 128, LLaVA's).")
    int loraRank;

    @Override
    @SuppressWarnings("try")   // the scope is only there to free each run's tensors when it closes
    public Integer call() throws Exception {
        if (repeat < 1 || newTokens < 1) throw new IllegalArgumentException("--repeat and --new-tokens must be >= 1");
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        PrintWriter out = spec.commandLine().getOut();
        Backend be = modelOptions.backend();
        try (LlavaModel m = adapterOption.apply(modelOptions.load())) {
            var c = m.config();
            int features = c.imageFeatureCount();
            int text = Math.max(1, promptTokens - features);
            if (features + text + newTokens > c.text().maxPositions()) {
                throw new IllegalArgumentException("prompt + new tokens exceed max_position_embeddings " + c.text().maxPositions());
            }
            Random rng = new Random(0);
            long[] ids = new long[text + 1];
            ids[0] = c.imageTokenIndex();
            for (int i = 1; i < ids.length; i++) {
                do ids[i] = 3 + rng.nextInt(c.text().vocabSize() - 3); while (m.isImageToken(ids[i]));
            }
            int s = c.vision().imageSize();
            float[] px = new float[3 * s * s];
            for (int i = 0; i < px.length; i++) px[i] = (float) rng.nextGaussian();
            Tensor pixels = Tensor.of(px, 1, 3, s, s);
            out.printf(Locale.ROOT, "model %s: %d layers, hidden %d, %s weights; prompt %d positions (%d image features + %d text), %d new tokens%s%n",
                    modelOptions.model(), c.text().numLayers(), c.text().hiddenSize(), m.weights().values().iterator().next().dtype(),
                    features + text, features, text, newTokens, train != null ? "" : " (KV cache " + m.decoder().kvCacheType(be) + ")");
            if (train != null) {
                trainingSteps(out, be, m, ids, pixels);
                return 0;
            }
            double[] prefill = new double[repeat], decode = new double[repeat];
            for (int r = -warmup; r < repeat; r++) {
                double[] rates;
                try (TensorScope scope = TensorScope.open()) {
                    rates = run(be, m, ids, pixels);
                }
                if (r >= 0) {
                    prefill[r] = rates[0];
                    decode[r] = rates[1];
                    out.printf(Locale.ROOT, "run %d: prefill %.1f tokens/s, decode %.2f tokens/s%n", r + 1, rates[0], rates[1]);
                    out.flush();
                }
            }
            out.printf(Locale.ROOT, "median: prefill %.1f tokens/s, decode %.2f tokens/s%n", median(prefill), median(decode));
            out.flush();
        }
        return 0;
    }

    /** {prefill tokens/s (image encoding included), decode tokens/s} of one run. */
    private double[] run(Backend be, LlavaModel m, long[] ids, Tensor pixels) {
        LlamaDecoder dec = m.decoder();
        long t0 = System.nanoTime();
        MergedInputs in = m.merge(be, List.of(ids), m.imageFeatures(be, pixels), null, true);
        int t = in.length();
        try (KvCache cache = new KvCache(be, m.config().text(), 1, t + newTokens, new int[m.config().text().numLayers()],
                dec.kvCacheType(be))) {
            Tensor h = dec.forward(be, in.embeds(), in.positions(), in.valid(), cache).normed();
            long next = be.argmax(dec.logits(be, h.narrow(1, t - 1, 1))).toLongArray()[0];
            long t1 = System.nanoTime();
            boolean[][] valid = {{true}};
            for (int i = 0; i < newTokens; i++) {
                Tensor e = dec.embed(be, Tensor.ofLongs(new long[]{next}, 1, 1));
                Tensor pos = Tensor.ofLongs(new long[]{t + i}, 1, 1);
                h = dec.forward(be, e, pos, valid, cache).normed();
                next = be.argmax(dec.logits(be, h)).toLongArray()[0];
            }
            long t2 = System.nanoTime();
            return new double[]{t / ((t1 - t0) / 1e9), newTokens / ((t2 - t1) / 1e9)};
        }
    }

    /** Median time of a forward + backward step with the last half of the text supervised. */
    private void trainingSteps(PrintWriter out, Backend be, LlavaModel m, long[] ids, Tensor pixels) {
        long[] labels = ids.clone();
        for (int i = 0; i < labels.length / 2; i++) labels[i] = m.config().ignoreIndex();
        Map<String, Tensor> params;
        PromptInsertion prompt = null;
        switch (train) {
            case lora -> params = Lora.parameters(Lora.attach(m.linears(), LoraConfig.llm(loraRank, 2f * loraRank, 0f), 0, be));
            case prompt -> {
                prompt = new PromptInsertion(Tensor.zeros(10, m.config().text().hiddenSize()), PromptInsertion.Placement.AFTER_BOS);
                params = Map.of("prompt", prompt.embeddings());
            }
            default -> params = m.weights();
        }
        m.decoder().setGradientCheckpointing(gradientCheckpointing);
        long trainable = params.values().stream().mapToLong(Tensor::numel).sum();
        out.printf(Locale.ROOT, "training step (%s, %,d trainable parameters), forward + backward, no optimizer%n", train, trainable);
        double[] seconds = new double[repeat];
        for (int r = -warmup; r < repeat; r++) {
            long t0 = System.nanoTime();
            TrainingStep.Result res = TrainingStep.run(m, be, params, prompt, List.of(ids), pixels, List.of(labels));
            res.gradients().values().forEach(Tensor::close);
            if (r >= 0) {
                seconds[r] = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "run %d: %.3f s (loss %.4f)%n", r + 1, seconds[r], res.loss());
                out.flush();
            }
        }
        out.printf(Locale.ROOT, "median: %.3f s per step; peak tensor memory %.2f GB (in use + cached for reuse)%n", median(seconds),
                HostMemoryPool.peakHeldBytes() / 1e9);
        out.flush();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

}
