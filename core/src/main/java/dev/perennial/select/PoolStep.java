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
     */
    public record Clustering(int clusters, int[] labels, float[][] centroids, double inertia, int iterations, boolean converged,
                             List<KChooser.Row> kChoice) {}

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
        check(n, scores, config);
        if (config.budget() > n) log.warn("step {}: budget {} exceeds the pool of {} samples; every cluster gives what it can", step, config.budget(), n);

        Clustering clustering = resume && folder != null ? folder.loadClustering(n) : null;
        if (clustering == null) {
            clustering = cluster(vectors, config, step, progress, be);
            if (folder != null) folder.saveClustering(clustering);
        }
        Selection selection = resume && folder != null ? folder.loadSelection() : null;
        PermanentPruning.Result pruning = resume && folder != null ? folder.loadPruning(n) : null;
        if (config.pruneBeforeSelection()) {
            if (pruning == null) pruning = prune(vectors, clustering, config, folder, be);
            if (selection == null) selection = select(clustering, scores, config, step, pruning.kept(), folder);
        } else {
            if (selection == null) selection = select(clustering, scores, config, step, null, folder);
            if (pruning == null) pruning = prune(vectors, clustering, config, folder, be);
        }
        return new Outcome(step, n, clustering, selection, pruning);
    }

    /** The input checks of run() (DataPool runs them before it saves a step's inputs). */
    static void check(int n, Map<String, float[]> scores, StepConfig config) {
        if (n == 0) throw new IllegalArgumentException("the pool is empty: nothing to cluster or select");
        for (var e : scores.entrySet()) {
            if (e.getValue().length != n) {
                throw new IllegalArgumentException("scorer '" + e.getKey() + "' has " + e.getValue().length + " scores for "
                        + n + " pool samples (one vector each)");
            }
        }
        int k = config.chooseK() == null ? config.kmeans().clusters() : config.chooseK().max();
        if (k > n) {
            throw new IllegalArgumentException((config.chooseK() == null ? "K = " + k : "K range " + config.chooseK())
                    + " exceeds the pool of " + n + " samples: K must not exceed N");
        }
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

    /** Selection among {@code among} (ascending positions; null = the whole pool), positions mapped back to the pool. */
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
            s = new Selection(selected, local.budget(), local.clusters(), local.nonFiniteScores());
        }
        if (folder != null) folder.saveSelection(s);
        return s;
    }

    private static PermanentPruning.Result prune(VectorSource vectors, Clustering c, StepConfig config, StepFolder folder,
                                                 Backend be) throws IOException {
        PermanentPruning.Result r;
        if (config.poolCap() == null) {
            int[] sizes = new int[c.clusters()];
            for (int l : c.labels()) sizes[l]++;
            r = new PermanentPruning.Result(false, IntStream.range(0, vectors.size()).toArray(), new float[0], sizes);
        } else {
            r = new PermanentPruning(config.poolCap(), config.pruneSplit(), PermanentPruning.DEFAULT_TILE, be)
                    .prune(c.labels(), c.clusters(), vectors);
        }
        if (folder != null) folder.savePruning(r);
        return r;
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
