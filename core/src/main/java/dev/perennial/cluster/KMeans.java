/*
 * Pseudo-task (skill) clustering of the pool's sample vectors (docs/methods/adapt-inf.md §3): Euclidean k-means on the
 * L2-normalised gradient vectors, re-fitted from scratch at every step. The official code runs scikit-learn's
 * MiniBatchKMeans(batch_size = 10240) unseeded; this one is seeded and reproducible.
 *
 *  - Input: a VectorSource, read row by row (never the whole matrix); NaN → 0 and ±∞ → ±max as the code's
 *    nan_to_num. Vectors are used as given (the caller normalises).
 *  - Init: greedy k-means++ (scikit-learn's): the first centroid uniform, then for each next one
 *    2 + ⌊ln K⌋ candidates drawn with probability ∝ D(x)² and the one that lowers Σ D² most is kept (ties: the
 *    earlier candidate). It runs on a seeded sample of initSampleSize points (0 = automatic: all points for
 *    LLOYD, 3·batchSize for MINI_BATCH, as scikit-learn). When every sample point already coincides with a
 *    centroid, the remaining centroids are drawn uniformly (duplicates).
 *  - Restarts (nInit, default DEFAULT_N_INIT = 10; nInit = 1 is the single start above, bit for bit as before the
 *    setting existed): one greedy k-means++ start can leave a small cluster without a centroid and split a large one
 *    instead, a local optimum Lloyd and mini-batch updates never leave (5 planted groups of 400/250/120/60/30 points:
 *    one start recovered 11 of 30 sets, 10 restarts 30 of 30; KMeansTest). Restarting the whole fit would multiply
 *    its cost, so the restarts are cheap: on one seeded sample of min(N, 256·K) points (RESTART_POINTS_PER_CLUSTER),
 *    restart r = 0..nInit−1 runs greedy k-means++ on the sample and at most RESTART_ITERATIONS = 10 Lloyd iterations
 *    there (whatever maxIterations, which bounds the fit on all points), seeded with the r-th nextLong of SplittableRandom(seed) drawn after the sample; the restart with the
 *    lowest inertia on the sample (ties: the earlier restart) gives the centroids the fit on all N points starts
 *    from, in place of its own k-means++. Restarts run one after the other, each on the chunked parallel code, so
 *    the result does not depend on the thread count. Cost at N = 100k, d = 8192, K = 10: docs/performance.md.
 *  - LLOYD: assign every point to its nearest centroid, move each centroid to its members' mean, until the total
 *    squared centroid shift Σ_k ‖Δc_k‖² ≤ tolerance (and no cluster was re-seeded) or maxIterations; an
 *    unchanged assignment gives shift 0.
 *  - MINI_BATCH (Sculley 2010, scikit-learn's update): each epoch visits the points in a fresh seeded
 *    permutation, batchSize at a time; per batch c_k ← (c_k·w_k + Σ_batch x)/(w_k + n_k), w_k += n_k.
 *    maxIterations counts epochs (scikit-learn's max_iter); convergence = the shift over an epoch ≤ tolerance.
 *  - Empty clusters (LLOYD: after an assignment; MINI_BATCH: no point in a whole epoch): each one, in ascending
 *    id, is re-seeded at the farthest point from its own centroid that is not already taken (ties: lower pool
 *    position; LLOYD: over the pool, MINI_BATCH: over the epoch's last batch), which moves to it. Points at
 *    distance 0 are never taken, so with fewer distinct points than K some clusters stay empty.
 *  - The result's labels come from a final assignment against the returned centroids, so every label is the
 *    nearest centroid (ties: lower id); inertia = Σ squared distances (scikit-learn's inertia_; the official
 *    calc_wss_sil "WSS" is Result.sumOfDistances(), not squared).
 *  - Deterministic for a seed, whatever the thread count: points are processed in fixed chunks of CHUNK rows,
 *    chunks run in parallel, and per-chunk sums (double) are added in chunk order.
 *  - Assignment of a chunk: EXACT (default) = Σ_j (x_j − c_j)² in double, ties to the lower centroid; GEMM = the
 *    fast path of KMeansAssignment on the chunk (one sgemm per few points, ‖x‖² − 2x·c + ‖c‖² in double), several
 *    times faster for d = 8192 but with the expansion's cancellation error, so near-ties can resolve differently
 *    and a distance that is exactly 0 may come out as a tiny positive number. Both are deterministic. The
 *    k-means++ init always uses exact distances.
 *  - Progress: after every iteration (epoch) an optional listener gets the count, the centroid shift, points/s
 *    and an ETA bounded by maxIterations; a log line (INFO at most every PROGRESS_LOG_NANOS, DEBUG otherwise).
 *  - lloydIteration() exposes one Lloyd iteration from given centroids (assignment + mean update) without the
 *    init and the re-seeding, the unit the benchmarks time.
 */
package dev.perennial.cluster;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seeded, reproducible k-means (Lloyd or mini-batch, greedy k-means++ init, the best of nInit restarts) of the pool's
 * sample vectors {@code [N, d]}, read row by row from a {@code VectorSource}: the result holds labels {@code [N]},
 * centroids {@code [K][d]}, squared Euclidean distances {@code [N]} and the inertia (their sum). Results do not depend
 * on the thread count.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state; each fit keeps its
 * state in its own objects, and a {@code VectorSource} must allow concurrent reads).
 */
public final class KMeans {
    private static final Logger log = LoggerFactory.getLogger(KMeans.class);
    /** Points per chunk: the unit of parallel work and of the fixed reduction order. */
    static final int CHUNK = 256;
    /** Σ‖Δc‖²; ≈ scikit-learn's tol = 1e-4 × mean feature variance for unit vectors of dimension 8192. */
    public static final double DEFAULT_TOLERANCE = 1e-8;
    /** Config.of's nInit: initialisations tried (docs/methods/adapt-inf.md §3 says why and what it costs). */
    public static final int DEFAULT_N_INIT = 10;
    /** With nInit > 1 the restarts run on a seeded sample of min(N, this·K) points. */
    static final int RESTART_POINTS_PER_CLUSTER = 256;
    /** Lloyd iterations (at most) each restart runs on the sample before the inertias are compared. */
    static final int RESTART_ITERATIONS = 10;

    /** Rate limit of the INFO progress lines. */
    static final long PROGRESS_LOG_NANOS = 10_000_000_000L;

    public enum Variant { LLOYD, MINI_BATCH }

    /** How a chunk of points is assigned (see the class comment). */
    public enum Assignment { EXACT, GEMM }

    /**
     * Where a fit stands after an iteration (LLOYD) or epoch (MINI_BATCH).
     * @param done            iterations (epochs) finished
     * @param max             maxIterations
     * @param shift           Σ_k ‖Δc_k‖² over this iteration
     * @param pointsPerSecond points assigned per second so far
     * @param etaSeconds      time left if every remaining iteration runs (an upper bound: it may converge first)
     * @param finished        whether this was the last iteration (converged, or maxIterations reached)
     */
    public record Status(int done, int max, double shift, double pointsPerSecond, double etaSeconds, boolean finished) {}

    /** Receives one Status per iteration (epoch). */
    @FunctionalInterface
    public interface Progress {
        void update(Status status);
    }

    /**
     * @param clusters       K ≥ 1
     * @param maxIterations  LLOYD: iterations; MINI_BATCH: epochs
     * @param tolerance      stop when Σ_k ‖Δc_k‖² over an iteration (epoch) ≤ this
     * @param batchSize      MINI_BATCH points per update
     * @param initSampleSize points the k-means++ init looks at; 0 = automatic
     * @param assignment     EXACT (default) or GEMM
     * @param nInit          seeded initialisations tried (≥ 1); the one with the lowest inertia on the restart sample
     *                       starts the fit (see the class comment); 1 = a single k-means++ start
     */
    public record Config(int clusters, Variant variant, int maxIterations, double tolerance, int batchSize,
                         int initSampleSize, long seed, Assignment assignment, int nInit) {
        public Config {
            if (clusters < 1) throw new IllegalArgumentException("need K >= 1, got " + clusters);
            if (variant == null) throw new IllegalArgumentException("variant must be set");
            if (assignment == null) throw new IllegalArgumentException("assignment must be set");
            if (maxIterations < 1) throw new IllegalArgumentException("need maxIterations >= 1, got " + maxIterations);
            if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
            if (batchSize < 1) throw new IllegalArgumentException("need batchSize >= 1, got " + batchSize);
            if (initSampleSize < 0) throw new IllegalArgumentException("need initSampleSize >= 0, got " + initSampleSize);
            if (nInit < 1) throw new IllegalArgumentException("need nInit >= 1 (k-means initialisations), got " + nInit);
        }

        /**
         * The official setting (§3): MINI_BATCH, batch 10240, 100 epochs, automatic init sample, seed 0; EXACT
         * assignment; DEFAULT_N_INIT restarts (the official code's single start is nInit = 1).
         */
        public static Config of(int clusters) {
            return new Config(clusters, Variant.MINI_BATCH, 100, DEFAULT_TOLERANCE, 10240, 0, 0, Assignment.EXACT, DEFAULT_N_INIT);
        }

        public Config withClusters(int k) { return new Config(k, variant, maxIterations, tolerance, batchSize, initSampleSize, seed, assignment, nInit); }
        public Config withVariant(Variant v) { return new Config(clusters, v, maxIterations, tolerance, batchSize, initSampleSize, seed, assignment, nInit); }
        public Config withMaxIterations(int m) { return new Config(clusters, variant, m, tolerance, batchSize, initSampleSize, seed, assignment, nInit); }
        public Config withTolerance(double t) { return new Config(clusters, variant, maxIterations, t, batchSize, initSampleSize, seed, assignment, nInit); }
        public Config withBatchSize(int b) { return new Config(clusters, variant, maxIterations, tolerance, b, initSampleSize, seed, assignment, nInit); }
        public Config withInitSampleSize(int s) { return new Config(clusters, variant, maxIterations, tolerance, batchSize, s, seed, assignment, nInit); }
        public Config withSeed(long s) { return new Config(clusters, variant, maxIterations, tolerance, batchSize, initSampleSize, s, assignment, nInit); }
        public Config withAssignment(Assignment a) { return new Config(clusters, variant, maxIterations, tolerance, batchSize, initSampleSize, seed, a, nInit); }
        public Config withNInit(int r) { return new Config(clusters, variant, maxIterations, tolerance, batchSize, initSampleSize, seed, assignment, r); }
    }

    /**
     * One Lloyd iteration (see lloydIteration).
     * @param labels           nearest of the given centroids for every point
     * @param squaredDistances ‖x_i − c_{label_i}‖² to the given centroids
     * @param centroids        (K, d) the members' means; a cluster without members keeps its centroid
     * @param counts           members per cluster
     * @param shift            Σ_k ‖Δc_k‖²
     */
    public record Iteration(int[] labels, float[] squaredDistances, float[][] centroids, long[] counts, double shift) {}

    /**
     * @param labels           nearest centroid of every point, in [0, K)
     * @param centroids        (K, d)
     * @param inertia          Σ_i ‖x_i − c_{label_i}‖²
     * @param squaredDistances ‖x_i − c_{label_i}‖² per point
     * @param iterations       iterations (LLOYD) or epochs (MINI_BATCH) run
     * @param converged        whether the tolerance was reached before maxIterations
     */
    public record Result(int[] labels, float[][] centroids, double inertia, float[] squaredDistances, int iterations,
                         boolean converged) {
        /** Σ_i ‖x_i − c_{label_i}‖₂, what the official calc_wss_sil prints as "WSS". */
        public double sumOfDistances() {
            double s = 0;
            for (float d : squaredDistances) s += Math.sqrt(d);
            return s;
        }
    }

    private KMeans() {}

    /** Fits K centroids to the vectors; K must not exceed the number of vectors. */
    public static Result fit(VectorSource data, Config config) {
        return fit(data, config, null);
    }

    /** fit() reporting every iteration (epoch) to {@code progress} (may be null). */
    public static Result fit(VectorSource data, Config config, Progress progress) {
        return fit(data, config, true, null, progress, null);
    }

    /**
     * fit() on a backend: when {@code be} offers the NearestCentroids op (a device kernel), every chunk of points is
     * assigned there; otherwise (or with be null) the host assignment of config.assignment() runs.
     */
    public static Result fit(VectorSource data, Config config, Progress progress, dev.perennial.tensor.Backend be) {
        return fit(data, config, true, null, progress, be == null ? null : be.ops().get(NearestCentroids.OP));
    }

    /** {@code parallel = false} runs every chunk on the calling thread (the determinism test compares both). */
    static Result fit(VectorSource data, Config config, boolean parallel) {
        return fit(data, config, parallel, null);
    }

    /** With {@code initial} (K, d) centroids instead of k-means++ (tests drive the empty-cluster rule with it). */
    static Result fit(VectorSource data, Config config, boolean parallel, float[][] initial) {
        return fit(data, config, parallel, initial, null, null);
    }

    private static Result fit(VectorSource data, Config config, boolean parallel, float[][] initial, Progress progress,
                              NearestCentroids device) {
        int n = data.size(), k = config.clusters();
        if (k > n) throw new IllegalArgumentException("K = " + k + " clusters for " + n + " points: K must not exceed N");
        float[] start = initial == null ? null : flatten(initial, k, data.dim());
        if (start == null && config.nInit() > 1) start = bestOfRestarts(data, config, parallel, device);
        try (Fit fit = new Fit(data, config, parallel, progress, device)) {
            return fit.run(start);
        }
    }

    /**
     * The restarts of nInit > 1 (see the class comment): on one seeded sample of min(N, RESTART_POINTS_PER_CLUSTER·K)
     * points, restart r = 0..nInit−1 runs greedy k-means++ and at most RESTART_ITERATIONS Lloyd iterations with the
     * r-th seed drawn after the sample; returns the (K, d) centroids of the lowest sample inertia (ties: earlier r).
     */
    private static float[] bestOfRestarts(VectorSource data, Config config, boolean parallel, NearestCentroids device) {
        int n = data.size(), k = config.clusters();
        SplittableRandom seeds = new SplittableRandom(config.seed());
        int[] sample = sample(n, (int) Math.min(n, (long) RESTART_POINTS_PER_CLUSTER * k), seeds);
        VectorSource rows = new VectorSource() {
            @Override public int size() { return sample.length; }
            @Override public int dim() { return data.dim(); }
            @Override public void read(int index, float[] dst) { data.read(sample[index], dst); }
        };
        Config restart = config.withVariant(Variant.LLOYD).withMaxIterations(RESTART_ITERATIONS).withInitSampleSize(0).withNInit(1);
        Result best = null;
        int winner = -1;
        for (int r = 0; r < config.nInit(); r++) {
            Result res;
            try (Fit fit = new Fit(rows, restart.withSeed(seeds.nextLong()), parallel, null, device, true)) {
                res = fit.run(null);
            }
            log.debug("k-means restart {}/{}: inertia {} on the {}-point sample", r + 1, config.nInit(), res.inertia(), sample.length);
            if (best == null || res.inertia() < best.inertia()) {
                best = res;
                winner = r;
            }
        }
        log.info("k-means (K = {}, N = {}): restart {} of {} has the lowest inertia on a {}-point sample, {}", k, n, winner + 1,
                config.nInit(), sample.length, best.inertia());
        return flatten(best.centroids(), k, data.dim());
    }

    /** m of the positions 0..n−1 (all when m = n), ascending, drawn without replacement with rng (partial Fisher–Yates). */
    private static int[] sample(int n, int m, SplittableRandom rng) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        if (m >= n) return all;
        for (int i = 0; i < m; i++) {
            int j = i + rng.nextInt(n - i), t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = Arrays.copyOf(all, m);
        Arrays.sort(out);
        return out;
    }

    /**
     * One Lloyd iteration from {@code centroids} (K, d): every point to its nearest centroid (the chosen
     * assignment), then every centroid with members to their mean. No init, no re-seeding of empty clusters.
     */
    public static Iteration lloydIteration(VectorSource data, float[][] centroids, Assignment assignment) {
        int k = centroids.length, d = data.dim();
        if (k < 1) throw new IllegalArgumentException("need K >= 1 centroids");
        float[] c = flatten(centroids, k, d);
        Config config = Config.of(k).withVariant(Variant.LLOYD).withMaxIterations(1).withAssignment(assignment);
        try (Fit fit = new Fit(data, config, true, null, null)) {
            Fit.Pass pass = fit.assign(null, 0, data.size(), c, true);
            double shift = fit.moveToMeans(pass, c);
            float[][] out = new float[k][];
            for (int j = 0; j < k; j++) out[j] = Arrays.copyOfRange(c, j * d, (j + 1) * d);
            return new Iteration(pass.labels, pass.dist, out, pass.counts, shift);
        }
    }

    private static float[] flatten(float[][] rows, int k, int d) {
        if (rows.length != k) throw new IllegalArgumentException(rows.length + " initial centroids for K = " + k);
        float[] out = new float[k * d];
        for (int c = 0; c < k; c++) {
            if (rows[c].length != d) throw new IllegalArgumentException("centroid " + c + " has " + rows[c].length + " dims, the data " + d);
            System.arraycopy(rows[c], 0, out, c * d, d);
        }
        return out;
    }

    /** The state of one fit; closing frees the GEMM path's native chunk buffers. */
    private static final class Fit implements AutoCloseable {
        final VectorSource data;
        final Config config;
        final Progress progress;
        final int n, d, k;
        final int group;                                        // chunks run concurrently; never changes the order
        final SplittableRandom rng;
        final float[][] buffers;                                // per slot: (CHUNK, d) points of a chunk
        final double[][] partial;                               // per slot: (K, d) sums of a chunk
        final Tensor[] chunkTensors;                                 // GEMM: per slot (CHUNK, d) F32, else null
        final KMeansAssignment gemm;                            // GEMM: the fast path, else null
        final NearestCentroids device;                          // a backend's kernel: chunks assigned there, else null
        final boolean restart;                                  // a restart of nInit: progress lines at DEBUG

        Fit(VectorSource data, Config config, boolean parallel, Progress progress, NearestCentroids device) {
            this(data, config, parallel, progress, device, false);
        }

        /** {@code restart}: one of nInit's restarts, whose lines are logged at DEBUG only. */
        Fit(VectorSource data, Config config, boolean parallel, Progress progress, NearestCentroids device, boolean restart) {
            this.restart = restart;
            this.device = device;
            this.data = data;
            this.config = config;
            this.progress = progress;
            this.n = data.size();
            this.d = data.dim();
            this.k = config.clusters();
            this.group = parallel && device == null ? Math.max(1, Parallel.threads()) : 1;   // one device queue
            this.rng = new SplittableRandom(config.seed());
            this.buffers = new float[group][CHUNK * d];
            this.partial = new double[group][k * d];
            boolean fast = device == null && config.assignment() == Assignment.GEMM && d > 0;
            this.gemm = fast ? new KMeansAssignment() : null;
            this.chunkTensors = fast ? new Tensor[group] : null;
            if (fast) for (int g = 0; g < group; g++) chunkTensors[g] = Tensor.empty(DType.F32, CHUNK, d);
        }

        @Override
        public void close() {
            if (chunkTensors != null) for (Tensor t : chunkTensors) t.close();
        }

        Result run(float[] initial) {
            float[] centroids = initial != null ? initial : kMeansPlusPlus();   // (K, d)
            int iterations = 0;
            boolean converged = false;
            long t0 = System.nanoTime();
            lastLog = t0;
            if (config.variant() == Variant.LLOYD) {
                while (iterations < config.maxIterations() && !converged) {
                    iterations++;
                    Pass pass = assign(null, 0, n, centroids, true);
                    boolean reseeded = relocateEmpty(pass, pass.counts, null, 0, centroids).length > 0;
                    double shift = moveToMeans(pass, centroids);
                    converged = !reseeded && shift <= config.tolerance();
                    report(iterations, shift, t0, converged);
                }
            } else {
                int[] perm = new int[n];
                for (int i = 0; i < n; i++) perm[i] = i;
                double[] weight = new double[k];
                while (iterations < config.maxIterations() && !converged) {
                    iterations++;
                    shuffle(perm);
                    float[] start = centroids.clone();
                    long[] received = new long[k];
                    Pass last = null;
                    int lastFrom = 0;
                    for (int b0 = 0; b0 < n; b0 += config.batchSize()) {
                        int b1 = Math.min(n, b0 + config.batchSize());
                        last = assign(perm, b0, b1, centroids, true);
                        lastFrom = b0;
                        for (int c = 0; c < k; c++) {
                            long nc = last.counts[c];
                            if (nc == 0) continue;
                            double w = weight[c];
                            for (int j = 0; j < d; j++) {
                                centroids[c * d + j] = (float) ((centroids[c * d + j] * w + last.sums[c * d + j]) / (w + nc));
                            }
                            weight[c] = w + nc;
                            received[c] += nc;
                        }
                    }
                    int[] reseeded = relocateEmpty(last, received, perm, lastFrom, centroids);
                    for (int c : reseeded) weight[c] = 0;
                    double shift = 0;
                    for (int i = 0; i < centroids.length; i++) {
                        double delta = centroids[i] - start[i];
                        shift += delta * delta;
                    }
                    converged = reseeded.length == 0 && shift <= config.tolerance();
                    report(iterations, shift, t0, converged);
                }
            }
            Pass fin = assign(null, 0, n, centroids, false);
            double inertia = 0;
            for (float v : fin.dist) inertia += v;
            float[][] out = new float[k][];
            for (int c = 0; c < k; c++) out[c] = Arrays.copyOfRange(centroids, c * d, (c + 1) * d);
            String done = String.format(Locale.ROOT, "k-means (%s, K = %d, N = %d): %d %s, inertia %s", config.variant(), k, n, iterations,
                    config.variant() == Variant.LLOYD ? "iterations" : "epochs", inertia);
            if (restart) log.debug(done); else log.info(done);
            if (!converged) log.debug("k-means stopped at maxIterations = {} before the tolerance", config.maxIterations());
            return new Result(fin.labels, out, inertia, fin.dist, iterations, converged);
        }

        /** Moves every centroid with members to their mean (sums in double); returns Σ_k ‖Δc_k‖². */
        double moveToMeans(Pass pass, float[] centroids) {
            double shift = 0;
            for (int c = 0; c < k; c++) {
                if (pass.counts[c] == 0) continue;                         // keeps its centroid
                for (int j = 0; j < d; j++) {
                    float mean = (float) (pass.sums[c * d + j] / pass.counts[c]);
                    double delta = mean - centroids[c * d + j];
                    shift += delta * delta;
                    centroids[c * d + j] = mean;
                }
            }
            return shift;
        }

        private long lastLog;

        /** Progress after iteration (epoch) {@code done}: the listener, and a rate-limited log line. */
        void report(int done, double shift, long t0, boolean converged) {
            long now = System.nanoTime();
            double elapsed = (now - t0) / 1e9;
            double rate = (double) done * n / Math.max(elapsed, 1e-9);
            double eta = (config.maxIterations() - done) * elapsed / done;
            if (progress != null) progress.update(new Status(done, config.maxIterations(), shift, rate, eta, converged || done == config.maxIterations()));
            String line = String.format(Locale.ROOT, "k-means (%s, K = %d, N = %d): %s %d/%d, shift %.3g, %.0f points/s, at most %.0f s left",
                    config.variant(), k, n, config.variant() == Variant.LLOYD ? "iteration" : "epoch", done,
                    config.maxIterations(), shift, rate, eta);
            if (now - lastLog >= PROGRESS_LOG_NANOS && !restart) {
                lastLog = now;
                log.info(line);
            } else {
                log.debug(line);
            }
        }

        // --------------------------------------------------------------------------------- init

        /** Greedy k-means++ on a seeded sample; returns (K, d) centroids. */
        float[] kMeansPlusPlus() {
            int auto = config.variant() == Variant.LLOYD ? n : 3 * config.batchSize();
            int s = Math.min(n, config.initSampleSize() == 0 ? auto : config.initSampleSize());
            s = Math.max(s, k);
            int[] sample = sample(n, s, rng);
            float[] centroids = new float[k * d];
            float[] row = new float[d];
            data.readFinite(sample[rng.nextInt(s)], row);
            System.arraycopy(row, 0, centroids, 0, d);
            float[] closest = distances(sample, centroids, 1);            // (s) D² to the chosen centroids
            int trials = 2 + (int) Math.log(k);
            double[] prefix = new double[s];
            for (int c = 1; c < k; c++) {
                double total = 0;
                for (int i = 0; i < s; i++) prefix[i] = total += closest[i];
                float[] cand = new float[trials * d];
                for (int t = 0; t < trials; t++) {
                    int pick = total > 0 ? firstAbove(prefix, rng.nextDouble() * total) : rng.nextInt(s);
                    while (pick > 0 && total > 0 && closest[pick] == 0) pick--;    // u rounded up to the total
                    data.readFinite(sample[pick], row);
                    System.arraycopy(row, 0, cand, t * d, d);
                }
                float[] dc = distances(sample, cand, trials);               // (s, trials)
                int best = 0;
                double bestPotential = Double.POSITIVE_INFINITY;
                for (int t = 0; t < trials; t++) {
                    double potential = 0;
                    for (int i = 0; i < s; i++) potential += Math.min(closest[i], dc[i * trials + t]);
                    if (potential < bestPotential) {
                        bestPotential = potential;
                        best = t;
                    }
                }
                System.arraycopy(cand, best * d, centroids, c * d, d);
                for (int i = 0; i < s; i++) closest[i] = Math.min(closest[i], dc[i * trials + best]);
            }
            return centroids;
        }

        /** Smallest i with prefix[i] > u (u < prefix[last]); positions with D² = 0 are never returned. */
        private static int firstAbove(double[] prefix, double u) {
            int lo = 0, hi = prefix.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (prefix[mid] > u) hi = mid; else lo = mid + 1;
            }
            return lo;
        }

        /** Squared distances of the points at {@code at} to m centroids (m, d): (|at|, m), chunks in parallel. */
        float[] distances(int[] at, float[] cents, int m) {
            float[] out = new float[at.length * m];
            int chunks = (at.length + CHUNK - 1) / CHUNK;
            runChunks(chunks, (long) CHUNK * d * m, chunk -> {
                int from = chunk * CHUNK, to = Math.min(at.length, from + CHUNK);
                float[] x = new float[d];
                for (int p = from; p < to; p++) {
                    data.readFinite(at[p], x);
                    for (int c = 0; c < m; c++) out[p * m + c] = (float) squaredDistance(x, 0, cents, c * d, d);
                }
            });
            return out;
        }

        // --------------------------------------------------------------------------------- assignment

        /** Labels, squared distances, and (optionally) per-cluster sums and counts of a range of points. */
        static final class Pass {
            int[] labels;
            float[] dist;
            double[] sums;                                                  // (K, d), or null
            long[] counts;                                                  // (K)
        }

        /**
         * Assigns the points perm[from, to) (perm == null: the points from..to−1) to the nearest centroid; with
         * sums, also adds each cluster's members, chunk partials added in chunk order.
         */
        Pass assign(int[] perm, int from, int to, float[] centroids, boolean sums) {
            int count = to - from, chunks = (count + CHUNK - 1) / CHUNK;
            Pass pass = new Pass();
            pass.labels = new int[count];
            pass.dist = new float[count];
            pass.counts = new long[k];
            pass.sums = sums ? new double[k * d] : null;
            Tensor cents = gemm == null ? null : Tensor.of(centroids, k, d);   // (K, d)
            double[] norms = gemm == null ? null : KMeansAssignment.centroidNorms(cents);
            try {
                assignChunks(perm, from, count, chunks, centroids, cents, norms, pass, sums);
            } finally {
                if (cents != null) cents.close();
            }
            for (int l : pass.labels) pass.counts[l]++;
            return pass;
        }

        private void assignChunks(int[] perm, int from, int count, int chunks, float[] centroids, Tensor cents,
                                  double[] norms, Pass pass, boolean sums) {
            for (int g0 = 0; g0 < chunks; g0 += group) {
                int first = g0, width = Math.min(group, chunks - g0);
                runChunks(width, (long) CHUNK * d * k, slot -> {                 // slot: the chunk's place in the group
                    int chunk = first + slot;
                    int p0 = chunk * CHUNK, p1 = Math.min(count, p0 + CHUNK), rows = p1 - p0;
                    float[] x = buffers[slot];
                    float[] row = new float[d];
                    double[] xx = gemm == null ? null : new double[rows];             // GEMM: ‖x‖² while the row is hot
                    for (int r = 0; r < rows; r++) {
                        data.readFinite(perm == null ? from + p0 + r : perm[from + p0 + r], row);
                        System.arraycopy(row, 0, x, r * d, d);
                        if (xx != null) xx[r] = KMeansAssignment.squaredNorm(row, d);
                    }
                    if (device != null) {
                        try (Tensor chunkX = Tensor.of(Arrays.copyOf(x, rows * d), rows, d);
                             Tensor centroidsNow = Tensor.of(centroids, k, d)) {
                            KMeansAssignment.Assignment a = device.assign(chunkX, centroidsNow);
                            System.arraycopy(a.labels(), 0, pass.labels, p0, rows);
                            System.arraycopy(a.distances(), 0, pass.dist, p0, rows);
                        }
                    } else if (gemm == null) {
                        assignBlock(x, rows, d, centroids, k, pass.labels, pass.dist, p0);
                    } else {
                        chunkTensors[slot].storage().floats().put(0, x, 0, rows * d);
                        gemm.assignOnThisThread(chunkTensors[slot].narrow(0, 0, rows), cents, norms, xx, pass.labels, pass.dist, p0);
                    }
                    if (sums) {
                        double[] part = partial[slot];
                        Arrays.fill(part, 0);
                        for (int r = 0; r < rows; r++) {
                            int base = pass.labels[p0 + r] * d;
                            for (int j = 0; j < d; j++) part[base + j] += x[r * d + j];
                        }
                    }
                });
                if (sums) {
                    for (int slot = 0; slot < width; slot++) {
                        for (int i = 0; i < k * d; i++) pass.sums[i] += partial[slot][i];
                    }
                }
            }
        }

        /**
         * Moves the farthest points of the pass (from their centroid, distance > 0, ties to the lower position)
         * into the clusters whose {@code counts} entry is 0, one each in ascending cluster id: centroid = the
         * point, and the pass's labels, sums and counts follow. Returns the re-seeded clusters.
         */
        int[] relocateEmpty(Pass pass, long[] counts, int[] perm, int from, float[] centroids) {   // centroids: (K, d)
            int[] reseeded = new int[k];
            int done = 0;
            float[] x = new float[d];
            for (int c = 0; c < k; c++) {
                if (counts[c] != 0) continue;
                int far = -1;
                for (int p = 0; p < pass.dist.length; p++) {
                    if (pass.dist[p] > 0 && (far < 0 || pass.dist[p] > pass.dist[far])) far = p;
                }
                if (far < 0) break;                                         // every point sits on a centroid
                data.readFinite(perm == null ? from + far : perm[from + far], x);
                int old = pass.labels[far];
                pass.counts[old]--;
                pass.counts[c] = 1;
                if (pass.sums != null) {
                    for (int j = 0; j < d; j++) {
                        pass.sums[old * d + j] -= x[j];
                        pass.sums[c * d + j] = x[j];
                    }
                }
                pass.labels[far] = c;
                pass.dist[far] = 0;
                System.arraycopy(x, 0, centroids, c * d, d);
                reseeded[done++] = c;
                log.debug("k-means: empty cluster {} re-seeded at point {}", c, perm == null ? from + far : perm[from + far]);
            }
            return Arrays.copyOf(reseeded, done);
        }

        // --------------------------------------------------------------------------------- helpers

        interface ChunkBody {
            void run(int chunk);
        }

        /** Runs body(0 .. count−1), on several threads unless the fit is serial. */
        void runChunks(int count, long costPerChunk, ChunkBody body) {
            if (group == 1) {
                for (int c = 0; c < count; c++) body.run(c);
                return;
            }
            Parallel.forRows(count, costPerChunk, (s, e) -> {
                for (int c = s; c < e; c++) body.run(c);
            });
        }

        void shuffle(int[] a) {
            for (int i = a.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
        }
    }

    /**
     * The assignment step for one block: rows x[0, rows) of width d (row-major) against k centroids (k, d);
     * writes labels[at + r] and dist[at + r] = the squared distance, Σ in double, ties to the lower centroid.
     */
    private static void assignBlock(float[] x, int rows, int d, float[] centroids, int k, int[] labels, float[] dist, int at) {
        for (int r = 0; r < rows; r++) {
            int best = 0;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                double v = squaredDistance(x, r * d, centroids, c * d, d);
                if (v < bestDist) {
                    bestDist = v;
                    best = c;
                }
            }
            labels[at + r] = best;
            dist[at + r] = (float) bestDist;
        }
    }

    private static double squaredDistance(float[] a, int ao, float[] b, int bo, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double t = (double) a[ao + j] - b[bo + j];
            s += t * t;
        }
        return s;
    }
}
