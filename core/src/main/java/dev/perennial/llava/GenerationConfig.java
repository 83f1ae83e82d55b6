/*
 * How to generate: greedy when temperature is 0, otherwise temperature sampling with
 * nucleus (top-p) filtering from a seeded generator, so a run is reproducible. Stops per sample at an EOS id,
 * at a stop string (checked on the decoded continuation), or after maxNewTokens. Logits of ids >= maskIdsFrom
 * (e.g. the padding rows 32000..32063 of llava-hf's embedding matrix) can be excluded.
 */
package dev.perennial.llava;

import java.util.List;
import java.util.Set;

/**
 * How {@link Generator} picks tokens: at most {@code maxNewTokens} new tokens per sample; greedy at temperature 0,
 * otherwise temperature sampling with top-p (nucleus) filtering, {@code topP} in (0, 1], from a generator seeded by
 * {@code seed}; a sample stops at an id in {@code eosIds} or a stop string, and ids {@code >= maskIdsFrom} are never
 * picked.
 * <p>Immutable; safe to share between threads (a record of primitives whose {@code eosIds} and {@code stopStrings} are
 * unmodifiable copies).
 */
public record GenerationConfig(int maxNewTokens, float temperature, float topP, long seed, Set<Integer> eosIds,
                               List<String> stopStrings, int maskIdsFrom) {
    public GenerationConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0");
        if (temperature < 0 || Float.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1]");
        eosIds = Set.copyOf(eosIds);
        stopStrings = List.copyOf(stopStrings);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at {@code eos}. */
    public static GenerationConfig greedy(int maxNewTokens, int eos) {
        return new GenerationConfig(maxNewTokens, 0f, 1f, 0L, Set.of(eos), List.of(), Integer.MAX_VALUE);
    }

    public GenerationConfig withSampling(float temperature, float topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosIds, stopStrings, maskIdsFrom);
    }

    public GenerationConfig withStopStrings(List<String> stops) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosIds, stops, maskIdsFrom);
    }

    public GenerationConfig withMaskIdsFrom(int firstMaskedId) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosIds, stopStrings, firstMaskedId);
    }

    public boolean greedy() { return temperature == 0f; }
}
