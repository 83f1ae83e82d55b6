/*
 * `perennial generate`: generation from prompt ids (.npy) and images, writing tokens.npy (int64 [B, N], the
 * new tokens only; rows that stopped early are padded with the config's pad token id). Greedy unless
 * --temperature is given (then top-p sampling with --seed).
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate from prompt ids and images; write tokens.npy (new tokens only).")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AdapterOption adapterOption;

    @Mixin
    NpyInputOptions inputs;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--max-new-tokens", required = true, description = "Upper bound on generated tokens.")
    int maxNewTokens;

    @Option(names = "--eos", description = "End-of-sequence id (default: the config's eos_token_id).")
    Integer eos;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<long[]> prompts = NpyInputs.rows(inputs.inputIds, inputs.attentionMask);
        try (LlavaModel m = adapterOption.apply(modelOptions.load())) {
            GenerationConfig cfg = sampling.config(maxNewTokens, eos != null ? eos : m.config().text().eosTokenId());
            Generator.Result r = new Generator(m, modelOptions.backend()).generate(prompts, NpyInputs.pixels(inputs.pixelValues), cfg, null);
            int width = r.tokens().stream().mapToInt(t -> t.length).max().orElse(0);
            Tensor tokens = Tensor.zeros(DType.I64, prompts.size(), width);
            for (int b = 0; b < prompts.size(); b++) {
                long[] row = Arrays.copyOf(r.tokens().get(b), width);
                Arrays.fill(row, r.tokens().get(b).length, width, m.config().padTokenId());
                tokens.select(0, b).copyFrom(Tensor.ofLongs(row, width));
            }
            Files.createDirectories(out);
            Npy.write(out.resolve("tokens.npy"), tokens);
            for (long[] row : r.tokens()) spec.commandLine().getOut().println(Arrays.toString(row));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
