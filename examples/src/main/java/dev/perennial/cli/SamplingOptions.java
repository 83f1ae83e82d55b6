/* Sampling options shared by generate and chat (a picocli mixin): greedy unless a temperature is given. */
package dev.perennial.cli;

import dev.perennial.llava.GenerationConfig;
import picocli.CommandLine.Option;

final class SamplingOptions {
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); > 0 samples.")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus mass when sampling (default 1).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default 0).")
    long seed;

    /** Greedy decoding of up to maxNewTokens tokens ending at eos, with sampling when asked for. */
    GenerationConfig config(int maxNewTokens, int eos) {
        GenerationConfig cfg = GenerationConfig.greedy(maxNewTokens, eos);
        return temperature > 0 ? cfg.withSampling(temperature, topP, seed) : cfg;
    }
}
