/*
 * The open pool of ADAPT-∞ scoring functions (docs/methods/adapt-inf.md §4: the pool "can be seamlessly extended with new
 * scoring functions"): names -> Scorer. standard() holds the five of the paper and the official code under their
 * official keys (ppl, el2n, entropy, grand, ig) in the paper's recommended modes; codeCompat() the same keys in
 * the official code's modes (ppl as log of mean exp(ℓ), IG with a zero image and mixed aggregation). Users add
 * their own with register(); a name can be registered once. The names are what the pool scorer writes (NAME.npy)
 * and what MultiWaySelection's expert entropy reports.
 */
package dev.perennial.select;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The open pool of ADAPT-∞ scoring functions by name: {@code standard()} holds {@code ppl}, {@code el2n},
 * {@code entropy}, {@code grand} and {@code ig} in the paper's modes, {@code codeCompat()} in the official code's, and
 * {@code register} adds a scorer under a new name (letters, digits, '_', '-', '.'), which names its score file.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its map is an unsynchronized
 * {@code LinkedHashMap} that {@code register} changes.
 */
public final class ScorerRegistry {
    public static final String PPL = "ppl", EL2N = "el2n", ENTROPY = "entropy", GRAND = "grand", IG = "ig";
    /** Names become file names (NAME.npy): letters, digits, '_', '-' and '.', not starting with '.'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]*");

    private final Map<String, Scorer> scorers = new LinkedHashMap<>();

    /** An empty registry. */
    public ScorerRegistry() {}

    /** The five standard scorers in the paper's recommended modes (entropy over every position, as the code). */
    public static ScorerRegistry standard() {
        return standard(new PerplexityScorer(PerplexityScorer.Aggregation.LOG_PPL), new EntropyScorer(EntropyScorer.Positions.ALL),
                ImageGroundingScorer.paper());
    }

    /** The five standard scorers as the official code computes them. */
    public static ScorerRegistry codeCompat() {
        return standard(new PerplexityScorer(PerplexityScorer.Aggregation.CODE_COMPAT), new EntropyScorer(EntropyScorer.Positions.ALL),
                new ImageGroundingScorer(ImageGroundingScorer.NoImageMode.ZERO_PIXELS, ImageGroundingScorer.PplAggregation.CODE_MIXED));
    }

    /** The five standard scorers with the given configurable ones. */
    public static ScorerRegistry standard(PerplexityScorer ppl, EntropyScorer entropy, ImageGroundingScorer ig) {
        return new ScorerRegistry().register(PPL, ppl).register(EL2N, new El2nScorer()).register(ENTROPY, entropy)
                .register(GRAND, new GradNormScorer()).register(IG, ig);
    }

    /** Adds a scorer under a new name; returns this. */
    public ScorerRegistry register(String name, Scorer scorer) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("scorer name " + name + " must match " + NAME.pattern());
        }
        if (scorer == null) throw new IllegalArgumentException("scorer " + name + " is null");
        if (scorers.putIfAbsent(name, scorer) != null) throw new IllegalArgumentException("a scorer named " + name + " is already registered");
        return this;
    }

    /** The scorer registered as name. */
    public Scorer get(String name) {
        Scorer s = scorers.get(name);
        if (s == null) throw new IllegalArgumentException("unknown scorer " + name + "; registered: " + String.join(", ", scorers.keySet()));
        return s;
    }

    /** Registered names in registration order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(scorers.keySet());
    }

    /** The named scorers in the given order (no duplicates). */
    public Map<String, Scorer> select(List<String> names) {
        Map<String, Scorer> out = new LinkedHashMap<>();
        List<String> duplicates = new ArrayList<>();
        for (String n : names) if (out.put(n, get(n)) != null) duplicates.add(n);
        if (!duplicates.isEmpty()) throw new IllegalArgumentException("scorers named twice: " + duplicates);
        return Collections.unmodifiableMap(out);
    }
}
