/*
 * One ADAPT-∞ timestep on a fixed pool (docs/methods/adapt-inf.md Appendix A, §3, §6, §7) once its vectors and scores exist:
 *
 *   clustering   k-means re-fitted from scratch on the pool's vectors (K fixed, or the best mean silhouette in a
 *                K range: KChooser, then one more fit with that K and the same seed, which reproduces the
 *                chooser's fit)
 *   selection    MultiWaySelection with budget B: per cluster an expert by histogram entropy, then CCS
 *   pruning      PermanentPruning to P_max when the pool is larger (nothing without a cap)
 *
 * in the paper's order (select, then prune: the pruned pool feeds step t+1) or, with pruneBeforeSelection,
 * prune first and select among the kept samples (§7.2), on the same clustering. Positions everywhere are into
 * the step's pool (0..N−1), also when selection ran on the pruned subset.
 *
 * Seeds: step t uses mix(seed, t) for k-means and for selection (Appendix A: rng(seed, t, k); the clusters'
 * own streams come from MultiWaySelection), so a pool folder's step t and `perennial select` (step 0) agree.
 *
 * Stages can be persisted to and resumed from a StepFolder: with resume, a stage whose files exist there is
 * loaded instead of computed, and every computed stage is saved before the next starts. Every stage is
 * deterministic, so a resumed step equals an uninterrupted one.
 *
 * Input checks (clear IllegalArgumentExceptions): an empty pool; scores of another length than the vectors;
 * K (or the top of the K range) larger than N. Defined behaviours: a budget above N selects what the modes allow
 * from every cluster (logged); empty clusters, NaN scores: as MultiWaySelection and KMeans define them.
 *
 * Non-finite vectors (a row with NaN or ±∞: `perennial score`'s invalid samples, or a corrupt file) are invalid
 * samples: they are left out of clustering (label −1), selection and the pruning's redundancy, counted
 * (report.json's non_finite_vectors) and warned about once. Mapping them to finite values instead (nan_to_num) put
 * ±Float.MAX_VALUE coordinates into the centroids and an infinite inertia. They stay in the pool, ahead of the
 * valid samples and within P_max, so that a sample whose image was missing is scored again at the next step.
 * A pool whose every vector is non-finite, or whose valid samples are fewer than K, is an error.
 */
package dev.perennial.select;

import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.VectorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One ADAPT-∞ timestep on a fixed pool of N samples once its vectors and scores exist: k-means clustering (K fixed or
 * chosen by silhouette; labels {@code [N]}, centroids {@code [K, d]}), multi-way selection of a budget of samples, and
 * permanent pruning to the pool cap, in either order; stages are saved to and resumed from a {@code StepFolder}.
 * Positions are into the step's pool.
 * <p>Stateless; its static methods are safe to call from several threads with distinct step folders and a thread-safe
 * backend (the default is a new {@code CpuBackend}). Its records do not copy their arrays.
 */
public final class PoolStep {
    private static final Logger log = LoggerFactory.getLogger(PoolStep.class);
    /** Points the silhouette of a K range is computed on. */
    public static final int SILHOUETTE_SAMPLE = 1000;

    private PoolStep() {}

    /**
     * The clustering stage.
     * @param clusters  K
     * @param labels    [N] cluster of every pool sample
     * @param centroids [K, d]
     * @param kChoice   the KChooser table when K was chosen from a range, else empty
     * <p>A label of −1 marks an invalid sample (a vector with NaN or ±∞), which belongs to no cluster.
     */
    public record Clustering(int clusters, int[] labels, float[][] centroids, double inertia, int iterations, boolean converged,
                             List<KChooser.Row> kChoice) {
        /** How many samples are invalid (label −1: their vector has NaN or ±∞). */
        public int invalidSamples() {
            int count = 0;
            for (int l : labels) if (l < 0) count++;
            return count;
        }
    }

    /**
     * A step's outcome; every position is into the step's pool.
     * @param poolSize N, the samples clustered
     * @param pruning  kept positions (all of them when nothing was pruned)
     */
    public record Outcome(int step, int poolSize, Clustering clustering, Selection selection, PermanentPruning.Result pruning) {}

    /**
     * Runs step {@code step} on N = vectors.size() samples.
     * @param scores   scorer → [N] scores; iteration order = expert order
     * @param folder   where stages are saved (and, with resume, loaded from); null: nothing is saved
     * @param progress k-means progress, or null
     */
    public static Outcome run(VectorSource vectors, Map<String, float[]> scores, StepConfig config, int step, StepFolder folder,
                              boolean resume, KMeans.Progress progress) throws IOException {
        return run(vectors, scores, config, step, folder, resume, progress, new CpuBackend());
    }

    /**
     * run() on {@code be}: k-means assigns points with the backend's NearestCentroids kernel when it has one, and
     * permanent pruning multiplies its similarity tiles on it (docs/architecture.md, "Ops with a home").
     */
    public static Outcome run(VectorSource vectors, Map<String, float[]> scores, StepConfig config, int step, StepFolder folder,
                              boolean resume, KMeans.Progress progress, Backend be) throws IOException {
        int n = vectors.size();
        int[] valid = check(vectors, scores, config);
        if (valid.length < n) {
            log.warn("step {}: {} of {} vectors contain NaN or infinite values; these samples are invalid: not clustered, "
                    + "never selected, kept in the pool", step, n - valid.length, n);
        }
        if (config.budget() > n) log.warn("step {}: budget {} exceeds the pool of {} samples; every cluster gives what it can", step, config.budget(), n);
        VectorSource finite = valid.length == n ? vectors : new Rows(vectors, valid);

        Clustering clustering = resume && folder != null ? folder.loadClustering(n) : null;
        if (clustering == null) {
            clustering = expand(cluster(finite, config, step, progress, be), valid, n);
            if (folder != null) folder.saveClustering(clustering);
        }
        Selection selection = resume && folder != null ? folder.loadSelection() : null;
        PermanentPruning.Result pruning = resume && folder != null ? folder.loadPruning(n) : null;
        if (config.pruneBeforeSelection()) {
            if (pruning == null) pruning = prune(finite, valid, n, clustering, config, folder, be);
            if (selection == null) selection = select(clustering, scores, config, step, validOf(pruning.kept(), clustering.labels()), folder);
        } else {
            if (selection == null) selection = select(clustering, scores, config, step, valid.length == n ? null : valid, folder);
            if (pruning == null) pruning = prune(finite, valid, n, clustering, config, folder, be);
        }
        return new Outcome(step, n, clustering, selection, pruning);
    }

    /** The input checks of run() (DataPool runs them before it saves a step's inputs); returns the valid (finite) rows. */
    static int[] check(VectorSource vectors, Map<String, float[]> scores, StepConfig config) {
        int n = vectors.size();
        if (n == 0) throw new IllegalArgumentException("the pool is empty: nothing to cluster or select");
        for (var e : scores.entrySet()) {
            if (e.getValue().length != n) {
                throw new IllegalArgumentException("scorer '" + e.getKey() + "' has " + e.getValue().length + " scores for "
                        + n + " pool samples (one vector each)");
            }
        }
        int[] valid = finiteRows(vectors);
        if (valid.length == 0) {
            throw new IllegalArgumentException("every one of the " + n + " vectors contains NaN or infinite values: no valid "
                    + "sample to cluster or select");
        }
        int k = config.chooseK() == null ? config.kmeans().clusters() : config.chooseK().max();
        if (k > valid.length) {
            throw new IllegalArgumentException((config.chooseK() == null ? "K = " + k : "K range " + config.chooseK())
                    + " exceeds the pool of " + valid.length + " samples"
                    + (valid.length < n ? " with finite vectors (" + (n - valid.length) + " of " + n + " contain NaN or infinite values)" : "")
                    + ": K must not exceed N");
        }
        return valid;
    }

    /** Positions (ascending) of the vectors without NaN or ±∞. */
    static int[] finiteRows(VectorSource vectors) {
        int n = vectors.size();
        float[] row = new float[vectors.dim()];
        int[] valid = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            vectors.read(i, row);
            boolean finite = true;
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    finite = false;
                    break;
                }
            }
            if (finite) valid[count++] = i;
        }
        return count == n ? valid : Arrays.copyOf(valid, count);
    }


    /** k-means with the step's seed; with a K range, the silhouette's choice. */
    static Clustering cluster(VectorSource vectors, StepConfig config, int step, KMeans.Progress progress, Backend be) {
        KMeans.Config km = config.kmeans().withSeed(MultiWaySelection.mix(config.kmeans().seed(), step));
        List<KChooser.Row> table = List.of();
        if (config.chooseK() != null) {
            KChooser.Choice choice = KChooser.choose(vectors, km, config.chooseK().min(), config.chooseK().max(), SILHOUETTE_SAMPLE);
            table = choice.table();
            km = km.withClusters(choice.bySilhouette());
            log.info("step {}: K = {} chosen by silhouette from {}", step, choice.bySilhouette(), config.chooseK());
        }
        KMeans.Result r = KMeans.fit(vectors, km, progress, be);
        return new Clustering(km.clusters(), r.labels(), r.centroids(), r.inertia(), r.iterations(), r.converged(), table);
    }

    /** A clustering of the valid rows as one of the whole pool of n: invalid samples get label −1. */
    private static Clustering expand(Clustering c, int[] valid, int n) {
        if (valid.length == n) return c;
        int[] labels = new int[n];
        Arrays.fill(labels, -1);
        for (int i = 0; i < valid.length; i++) labels[valid[i]] = c.labels()[i];
        return new Clustering(c.clusters(), labels, c.centroids(), c.inertia(), c.iterations(), c.converged(), c.kChoice());
    }

    /** The positions among {@code positions} whose label is a cluster (not an invalid sample). */
    private static int[] validOf(int[] positions, int[] labels) {
        return Arrays.stream(positions).filter(p -> labels[p] >= 0).toArray();
    }

    /**
     * Selection among {@code among} (ascending positions; null = the whole pool), positions mapped back to the pool.
     * The non-finite score counts also include the invalid samples left out of {@code among}, so that they cover
     * every pool sample as Selection documents.
     */
    private static Selection select(Clustering c, Map<String, float[]> scores, StepConfig config, int step, int[] among,
                                    StepFolder folder) throws IOException {
        MultiWaySelection.Config sc = config.selection().withSeed(MultiWaySelection.mix(config.selection().seed(), step));
        Selection s;
        if (among == null) {
            s = MultiWaySelection.select(c.labels(), c.clusters(), scores, config.budget(), sc);
        } else {
            Map<String, float[]> sub = new LinkedHashMap<>();
            scores.forEach((name, v) -> sub.put(name, gather(v, among)));
            Selection local = MultiWaySelection.select(gather(c.labels(), among), c.clusters(), sub, config.budget(), sc);
            int[] selected = Arrays.stream(local.selected()).map(p -> among[p]).toArray();
            Map<String, Integer> nonFinite = new LinkedHashMap<>(local.nonFiniteScores());
            int[] labels = c.labels();
            scores.forEach((name, v) -> {
                int invalid = 0;
                for (int p = 0; p < v.length; p++) if (labels[p] < 0 && !Float.isFinite(v[p])) invalid++;
                if (invalid > 0) nonFinite.merge(name, invalid, Integer::sum);
            });
            s = new Selection(selected, local.budget(), local.clusters(), Collections.unmodifiableMap(nonFinite));
        }
        if (folder != null) folder.saveSelection(s);
        return s;
    }

    /**
     * Pruning of the valid rows ({@code finite} = the pool's rows at {@code valid}), positions mapped back to the
     * pool of n. Invalid samples are always kept and count toward P_max: the valid ones are pruned to what is left
     * (if the invalid ones alone exceed P_max, the first P_max of them, in pool order, are kept). Their redundancy is
     * NaN (not computed).
     */
    private static PermanentPruning.Result prune(VectorSource finite, int[] valid, int n, Clustering c, StepConfig config,
                                                 StepFolder folder, Backend be) throws IOException {
        int[] labels = valid.length == n ? c.labels() : gather(c.labels(), valid);
        int invalid = n - valid.length;
        PermanentPruning.Result r;
        if (config.poolCap() == null || n <= config.poolCap()) {
            int[] sizes = new int[c.clusters()];
            for (int l : labels) sizes[l]++;
            r = new PermanentPruning.Result(false, IntStream.range(0, n).toArray(), new float[0], sizes);
        } else {
            int cap = Math.max(0, config.poolCap() - invalid);
            PermanentPruning.Result local = new PermanentPruning(cap, config.pruneSplit(), PermanentPruning.DEFAULT_TILE, be)
                    .prune(labels, c.clusters(), finite);
            if (invalid == 0) {
                r = local;
            } else {
                int keepInvalid = Math.min(invalid, config.poolCap());
                int[] kept = new int[keepInvalid + local.kept().length];
                int filled = 0;
                for (int p = 0; p < n && filled < keepInvalid; p++) if (c.labels()[p] < 0) kept[filled++] = p;
                for (int p : local.kept()) kept[filled++] = valid[p];
                Arrays.sort(kept);
                float[] redundancy = new float[n];
                Arrays.fill(redundancy, Float.NaN);
                for (int i = 0; i < valid.length; i++) redundancy[valid[i]] = local.redundancy()[i];
                r = new PermanentPruning.Result(true, kept, redundancy, local.keepBudgets());
            }
        }
        if (folder != null) folder.savePruning(r);
        return r;
    }

    /** The rows {@code at} of a vector source, as a source of their own. */
    private record Rows(VectorSource all, int[] at) implements VectorSource {
        @Override public int size() { return at.length; }
        @Override public int dim() { return all.dim(); }
        @Override public void read(int index, float[] dst) { all.read(at[index], dst); }
    }

    private static float[] gather(float[] v, int[] at) {
        float[] out = new float[at.length];
        for (int i = 0; i < at.length; i++) out[i] = v[at[i]];
        return out;
    }

    private static int[] gather(int[] v, int[] at) {
        int[] out = new int[at.length];
        for (int i = 0; i < at.length; i++) out[i] = v[at[i]];
        return out;
    }
}
