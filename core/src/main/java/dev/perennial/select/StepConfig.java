/*
 * Everything that decides one ADAPT-∞ timestep's selection (docs/methods/adapt-inf.md Appendix A and B): the per-step
 * budget B, pseudo-task clustering (K fixed, or chosen in a range by KChooser), multi-way selection, and
 * permanent pruning to the pool cap P_max (§7) after selection (the paper's order, Figure 1) or before it
 * (pruneBeforeSelection, what one run of the official script can do, §7.2). A data pool stores its StepConfig
 * in pool.json and every step uses it, so the JSON form round-trips exactly (doubles are written in Java's
 * shortest exact form).
 *
 * k-means restarts: "kmeans.n_init" (KMeans.Config.nInit); a pool.json written before the setting existed has none and
 * reads as 1, the single k-means++ start it was clustered with, so its steps stay reproducible.
 *
 * Seeds: the k-means and selection seeds are base seeds; a step t draws from mix(seed, t) (PoolStep), the
 * "rng(seed, t, k)" of Appendix A, so steps never repeat each other's draws.
 */
package dev.perennial.select;

import dev.perennial.cluster.KMeans;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The settings of one ADAPT-∞ step: budget, clustering (or a K range to choose from), pool cap and pruning split,
 * multi-way selection.
 * <p>Immutable; safe to share between threads (records of numbers, enums and immutable configs).
 *
 * @param budget               B, samples selected per step (≥ 0)
 * @param kmeans               clustering; its K is used unless chooseK is set
 * @param chooseK              null, or the range K is chosen from (by mean silhouette, KChooser)
 * @param poolCap              P_max, or null for a pool that is never pruned
 * @param pruneBeforeSelection prune, then select from the pruned pool (default false: select, then prune)
 * @param pruneSplit           how P_max is split over the clusters (BudgetSplit)
 * @param selection            multi-way selection
 */
public record StepConfig(int budget, KMeans.Config kmeans, KRange chooseK, Integer poolCap, boolean pruneBeforeSelection,
                         BudgetSplit.Mode pruneSplit, MultiWaySelection.Config selection) {

    /** K = min..max inclusive, 2 ≤ min ≤ max. */
    public record KRange(int min, int max) {
        public KRange {
            if (min < 2 || max < min) throw new IllegalArgumentException("need 2 <= min <= max for a K range, got " + min + ":" + max);
        }

        @Override
        public String toString() { return min + ":" + max; }
    }

    public StepConfig {
        if (budget < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budget);
        if (kmeans == null || pruneSplit == null || selection == null) {
            throw new IllegalArgumentException("k-means, pruning split and selection must be set");
        }
        if (poolCap != null && poolCap < 1) throw new IllegalArgumentException("pool cap must be >= 1, got " + poolCap);
    }

    /** The recommended ADAPT-∞ step (Appendix B): official mini-batch k-means with K clusters, no pool cap. */
    public static StepConfig defaults(int budget, int clusters) {
        return new StepConfig(budget, KMeans.Config.of(clusters), null, null, false, BudgetSplit.Mode.EXACT_WATERFILL,
                MultiWaySelection.Config.defaults());
    }

    /** Every selection and pruning mode CODE_COMPAT (the official script's path); clustering and seeds kept. */
    public StepConfig codeCompat() {
        MultiWaySelection.Config compat = MultiWaySelection.Config.codeCompat().withSeed(selection.seed());
        return new StepConfig(budget, kmeans, chooseK, poolCap, pruneBeforeSelection, BudgetSplit.Mode.CODE_COMPAT, compat);
    }

    public StepConfig withKMeans(KMeans.Config k) { return new StepConfig(budget, k, chooseK, poolCap, pruneBeforeSelection, pruneSplit, selection); }
    public StepConfig withChooseK(KRange r) { return new StepConfig(budget, kmeans, r, poolCap, pruneBeforeSelection, pruneSplit, selection); }
    public StepConfig withPoolCap(Integer p) { return new StepConfig(budget, kmeans, chooseK, p, pruneBeforeSelection, pruneSplit, selection); }
    public StepConfig withPruneBeforeSelection(boolean b) { return new StepConfig(budget, kmeans, chooseK, poolCap, b, pruneSplit, selection); }
    public StepConfig withSelection(MultiWaySelection.Config s) { return new StepConfig(budget, kmeans, chooseK, poolCap, pruneBeforeSelection, pruneSplit, s); }

    /** Both base seeds (k-means and selection) set to {@code seed}. */
    public StepConfig withSeed(long seed) {
        return new StepConfig(budget, kmeans.withSeed(seed), chooseK, poolCap, pruneBeforeSelection, pruneSplit, selection.withSeed(seed));
    }

    /** Whether every selection and pruning mode is CODE_COMPAT (the report's "compat" flag). */
    public boolean isCodeCompat() {
        return pruneSplit == BudgetSplit.Mode.CODE_COMPAT && selection.budgetSplit() == BudgetSplit.Mode.CODE_COMPAT
                && selection.entropy() == ExpertEntropy.Mode.CODE_COMPAT
                && selection.sampling().mode() == CoverageCentricSampling.Mode.CODE_COMPAT;
    }

    // ------------------------------------------------------------------------------------------- JSON

    ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("budget", budget);
        ObjectNode k = o.putObject("kmeans");
        k.put("clusters", kmeans.clusters()).put("variant", kmeans.variant().name()).put("max_iterations", kmeans.maxIterations())
                .put("tolerance", kmeans.tolerance()).put("batch_size", kmeans.batchSize())
                .put("init_sample_size", kmeans.initSampleSize()).put("seed", kmeans.seed())
                .put("assignment", kmeans.assignment().name()).put("n_init", kmeans.nInit());
        if (chooseK == null) o.putNull("choose_k"); else o.putArray("choose_k").add(chooseK.min()).add(chooseK.max());
        if (poolCap == null) o.putNull("pool_cap"); else o.put("pool_cap", poolCap);
        o.put("prune_before_selection", pruneBeforeSelection);
        o.put("prune_split", pruneSplit.name());
        ObjectNode s = o.putObject("selection");
        s.put("strategy", selection.strategy().name()).put("budget_split", selection.budgetSplit().name())
                .put("entropy", selection.entropy().name());
        CoverageCentricSampling.Config c = selection.sampling();
        s.putObject("sampling").put("mode", c.mode().name()).put("strata", c.strata()).put("trim_low", c.trimLow())
                .put("trim_high", c.trimHigh()).put("fill_from_tails", c.fillFromTails());
        if (selection.scorer() == null) s.putNull("scorer"); else s.put("scorer", selection.scorer());
        s.put("seed", selection.seed());
        return o;
    }

    /** Reads toJson()'s form; a missing or mistyped field is an IllegalArgumentException naming it. */
    static StepConfig fromJson(JsonNode o) {
        JsonNode k = field(o, "kmeans", "kmeans"), s = field(o, "selection", "selection"), c = field(s, "sampling", "selection.sampling");
        KMeans.Config kmeans = new KMeans.Config(integer(k, "clusters"), KMeans.Variant.valueOf(text(k, "variant")),
                integer(k, "max_iterations"), number(k, "tolerance"), integer(k, "batch_size"), integer(k, "init_sample_size"),
                longValue(k, "seed"), KMeans.Assignment.valueOf(text(k, "assignment")),
                k.has("n_init") ? integer(k, "n_init") : 1);                // pools made before n_init: one start
        JsonNode range = field(o, "choose_k", "choose_k");
        KRange chooseK = range.isNull() ? null : new KRange(range.path(0).asInt(), range.path(1).asInt());
        JsonNode cap = field(o, "pool_cap", "pool_cap");
        CoverageCentricSampling.Config sampling = new CoverageCentricSampling.Config(
                CoverageCentricSampling.Mode.valueOf(text(c, "mode")), integer(c, "strata"), number(c, "trim_low"),
                number(c, "trim_high"), bool(c, "fill_from_tails"));
        JsonNode scorer = field(s, "scorer", "selection.scorer");
        MultiWaySelection.Config selection = new MultiWaySelection.Config(MultiWaySelection.Strategy.valueOf(text(s, "strategy")),
                BudgetSplit.Mode.valueOf(text(s, "budget_split")), ExpertEntropy.Mode.valueOf(text(s, "entropy")), sampling,
                scorer.isNull() ? null : scorer.asText(), longValue(s, "seed"));
        return new StepConfig(integer(o, "budget"), kmeans, chooseK, cap.isNull() ? null : cap.asInt(),
                bool(o, "prune_before_selection"), BudgetSplit.Mode.valueOf(text(o, "prune_split")), selection);
    }

    private static JsonNode field(JsonNode o, String name, String path) {
        JsonNode v = o.get(name);
        if (v == null) throw new IllegalArgumentException("step config lacks '" + path + "'");
        return v;
    }

    private static int integer(JsonNode o, String name) {
        JsonNode v = field(o, name, name);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("step config: '" + name + "' is not an int: " + v);
        return v.intValue();
    }

    private static long longValue(JsonNode o, String name) {
        JsonNode v = field(o, name, name);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) throw new IllegalArgumentException("step config: '" + name + "' is not a long: " + v);
        return v.longValue();
    }

    private static double number(JsonNode o, String name) {
        JsonNode v = field(o, name, name);
        if (!v.isNumber()) throw new IllegalArgumentException("step config: '" + name + "' is not a number: " + v);
        return v.doubleValue();
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = field(o, name, name);
        if (!v.isBoolean()) throw new IllegalArgumentException("step config: '" + name + "' is not a boolean: " + v);
        return v.booleanValue();
    }

    private static String text(JsonNode o, String name) {
        JsonNode v = field(o, name, name);
        if (!v.isTextual()) throw new IllegalArgumentException("step config: '" + name + "' is not a string: " + v);
        return v.textValue();
    }
}
