/*
 * The selection settings of the Spark job, shipped to the executors that select and prune clusters: budget B, K,
 * seed, P_max and --compat. config() builds the same StepConfig as `perennial select` with these options, so the
 * cluster-wise selection seeds and modes are select's (step 0).
 */
package dev.perennial.spark;

import dev.perennial.select.StepConfig;

import java.io.Serializable;

/**
 * @param pruneTo P_max, or null: no pruning
 */
record SelectSettings(int budget, int clusters, long seed, Integer pruneTo, boolean compat) implements Serializable {
    SelectSettings {
        if (budget < 0) throw new IllegalArgumentException("--budget must be >= 0, got " + budget);
        if (clusters < 1) throw new IllegalArgumentException("--clusters must be >= 1, got " + clusters);
        if (pruneTo != null && pruneTo < 1) throw new IllegalArgumentException("--prune-to must be >= 1, got " + pruneTo);
    }

    /** `perennial select --budget B --clusters K --seed S [--prune-to P] [--compat]`'s StepConfig. */
    StepConfig config() {
        StepConfig c = StepConfig.defaults(budget, clusters).withPoolCap(pruneTo).withSeed(seed);
        return compat ? c.codeCompat() : c;
    }
}
