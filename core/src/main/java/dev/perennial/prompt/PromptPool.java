/*
 * A prompt pool (docs/methods/modalprompt.md §14) run as its PromptPoolConfig says: entries with keys, selection of entries per
 * sample from its queries, composition of the selected prompts into the embeddings inserted into the LLM input,
 * and the key loss. ModalPrompt is the configuration PromptPoolConfig.modalPrompt; L2P, DualPrompt's task prompts
 * and S-Prompts are the other presets.
 *
 * Selection (indices are 0-based entry positions; "task t" of the spec is entry t - 1):
 *   inference  TOP_K: the min(n, K) best entries, ascending by score (§5.3: most similar last); ARGMAX: the best
 *              one (for CENTROIDS the entry owning the best centroid); SOFT: every entry, weight = its score.
 *   training   with forceCurrent (PER_TASK pools): TOP_K follows §5.2 — K = 1: [c]; c + 1 <= K - 1: [0, .., c] in
 *              natural order; otherwise the K - 1 best of entries 0..c-1, ascending, then c. ARGMAX: [c]. SOFT:
 *              entries 0..c weighted. Without forceCurrent (SHARED pools): as inference over the whole pool.
 * Ties are broken by the lower entry index before the ascending reversal (PromptSimilarity's rule, §5.3's
 * recommendation), so a selection is deterministic. The similarity and top-k of a batch is one fused call
 * (PromptSimilarity: the CUDA kernel on a CUDA backend); NEG_L2 scores are computed here in double.
 *
 * Keys used for selection are plain values (no gradient flows through selection, §12.15); the key loss uses the
 * differentiable key of the entries that train.
 */
package dev.perennial.prompt;

import dev.perennial.llava.PromptInsertion;
import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A pool of prompt entries (a float32 prompt {@code [Lp, D]} and a key each) run as its {@code PromptPoolConfig} says
 * (ModalPrompt, L2P, DualPrompt, S-Prompts presets): selects entries per sample from queries {@code [M, B, d]},
 * composes the selected prompts into the embeddings inserted into the LLM input, and computes the key loss (rank 0).
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its entry list grows with
 * {@code add} and its entries cache their keys lazily, without synchronization.
 */
public final class PromptPool {
    /** torch.nn.functional.cosine_similarity's eps on each norm (§5.1). */
    static final double EPS = 1e-8;

    private final PromptPoolConfig config;
    private final int hidden;
    private final List<PromptEntry> entries = new ArrayList<>();

    /** An empty pool for a model of width {@code hidden} (D). */
    public PromptPool(PromptPoolConfig config, int hidden) {
        if (hidden < 1) throw new IllegalArgumentException("hidden size must be >= 1");
        this.config = config;
        this.hidden = hidden;
    }

    public PromptPoolConfig config() { return config; }
    public int hidden() { return hidden; }
    public int size() { return entries.size(); }
    public PromptEntry entry(int i) { return entries.get(i); }
    public List<PromptEntry> entries() { return Collections.unmodifiableList(entries); }

    /** The position of the entry called {@code name}, or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < entries.size(); i++) if (entries.get(i).name().equals(name)) return i;
        return -1;
    }

    // ------------------------------------------------------------------------------------------- entries

    /**
     * A prompt of {@code length} rows, each a copy of the row of a uniformly drawn id in [0, vocab) of the LLM's
     * input embedding table (§2.3; seeded, unlike the official code's unseeded numpy draw, B12; vocab excludes
     * added rows such as llava-hf's image and padding rows). table [V', D] -> [length, D] float32.
     */
    public static Tensor vocabularyInit(Tensor table, int vocab, int length, long seed) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding table must be [V, D], got " + table);
        if (vocab < 1 || vocab > table.size(0)) throw new IllegalArgumentException("vocabulary size " + vocab + " outside [1, " + table.size(0) + "]");
        SplittableRandom rng = new SplittableRandom(seed);
        List<Tensor> rows = new ArrayList<>(length);
        for (int j = 0; j < length; j++) rows.add(table.select(0, rng.nextInt(vocab)).to(DType.F32).contiguous());
        float[] v = new float[length * table.size(1)];
        for (int j = 0; j < length; j++) System.arraycopy(rows.get(j).toFloatArray(), 0, v, j * table.size(1), table.size(1));
        return Tensor.of(v, length, table.size(1));
    }

    /**
     * Adds a new entry with prompt {@code prompt} [Lp, D] and a fresh key source drawn from {@code seed}: a key MLP
     * (DERIVED_MLP), a key uniform in [-1, 1) (FREE, as L2P), or no key until fitCentroids (CENTROIDS).
     */
    public PromptEntry add(String name, Tensor prompt, long seed) {
        PromptEntry e = switch (config.keys()) {
            case DERIVED_MLP -> PromptEntry.derived(name, prompt, KeyMlp.initialise(hidden, config.keyDim(), seed));
            case FREE -> {
                SplittableRandom rng = new SplittableRandom(seed);
                float[] k = new float[config.keyDim()];
                for (int i = 0; i < k.length; i++) k[i] = (float) (rng.nextDouble() * 2 - 1);
                yield PromptEntry.free(name, prompt, Tensor.of(k, k.length));
            }
            case CENTROIDS -> PromptEntry.centroids(name, prompt, null);
        };
        add(e);
        return e;
    }

    /** Adds an existing entry (e.g. loaded from a checkpoint); its shapes must fit the pool. */
    public void add(PromptEntry e) {
        if (indexOf(e.name()) >= 0) throw new IllegalArgumentException("the pool already has an entry " + e.name());
        if (e.length() != config.promptLength() || e.prompt().size(1) != hidden) {
            throw new IllegalArgumentException(e.name() + ": prompt " + Arrays.toString(e.prompt().shape()) + " does not fit ["
                    + config.promptLength() + ", " + hidden + "]");
        }
        if (config.growth() == PromptPoolConfig.Growth.SHARED && entries.size() >= config.poolSize()) {
            throw new IllegalArgumentException("the shared pool is full (" + config.poolSize() + " entries)");
        }
        if (config.keys() == PromptPoolConfig.Keys.DERIVED_MLP && (e.mlp() == null || e.mlp().hidden() != hidden || e.mlp().keyDim() != config.keyDim())) {
            throw new IllegalArgumentException(e.name() + ": needs a key MLP " + hidden + " -> " + config.keyDim());
        }
        if (config.keys() == PromptPoolConfig.Keys.FREE && (e.freeKey() == null || e.freeKey().size(0) != config.keyDim())) {
            throw new IllegalArgumentException(e.name() + ": needs a free key of width " + config.keyDim());
        }
        if (config.keys() == PromptPoolConfig.Keys.CENTROIDS && e.centroids() != null) checkCentroids(e.name(), e.centroids());
        entries.add(e);
    }

    /** Drops the last entry (a task whose training failed before it was committed). */
    void removeLast() {
        entries.remove(entries.size() - 1);
    }

    private void checkCentroids(String name, Tensor c) {
        if (c.rank() != 3 || c.size(0) != config.modalities() || c.size(2) != config.keyDim()) {
            throw new IllegalArgumentException(name + ": centroids must be [" + config.modalities() + ", c, " + config.keyDim() + "], got " + c);
        }
    }

    /**
     * S-Prompts' keys: k-means (Lloyd, seeded k-means++) of the entry's training queries [M, N, d]; each modality's
     * key is the mean of its unit-normalised query over the cluster (the clustering runs on the concatenated unit
     * queries), giving [M, c, d].
     */
    public void fitCentroids(int entry, Tensor queries, long seed) {
        if (config.keys() != PromptPoolConfig.Keys.CENTROIDS) throw new IllegalStateException("the pool's keys are " + config.keys());
        int m = config.modalities(), n = queries.size(1), d = config.keyDim();
        checkQueries(queries);
        float[][] unit = unitRows(queries);                                                  // [M][N * d]
        float[] joined = new float[n * m * d];
        for (int i = 0; i < n; i++) for (int q = 0; q < m; q++) System.arraycopy(unit[q], i * d, joined, (i * m + q) * d, d);
        int c = Math.min(config.centroidsPerEntry(), n);
        KMeans.Result fit = KMeans.fit(new InMemoryVectors(joined, n, m * d), KMeans.Config.of(c).withVariant(KMeans.Variant.LLOYD).withSeed(seed));
        int[] labels = fit.labels();
        double[] sum = new double[m * c * d];
        int[] count = new int[c];
        for (int i = 0; i < n; i++) {
            count[labels[i]]++;
            for (int q = 0; q < m; q++) for (int x = 0; x < d; x++) sum[(q * c + labels[i]) * d + x] += unit[q][i * d + x];
        }
        float[] out = new float[m * c * d];
        for (int q = 0; q < m; q++) for (int k = 0; k < c; k++) for (int x = 0; x < d; x++) {
            out[(q * c + k) * d + x] = count[k] == 0 ? 0f : (float) (sum[(q * c + k) * d + x] / count[k]);
        }
        Tensor t = Tensor.of(out, m, c, d);
        checkCentroids(entries.get(entry).name(), t);
        entries.get(entry).setCentroids(t);
    }

    // ------------------------------------------------------------------------------------------- selection

    /** Test-time (task-agnostic) selection over every entry for queries [M, B, d]. */
    public PromptSelection selectForInference(Backend be, Tensor queries) {
        checkQueries(queries);
        if (entries.isEmpty()) throw new IllegalStateException("the prompt pool is empty");
        return switch (config.selector()) {
            case TOP_K -> ranked(be, queries, entries.size(), null, Math.min(entries.size(), config.topK()));
            case ARGMAX -> ranked(be, queries, entries.size(), null, 1);
            case SOFT -> soft(be, queries, entries.size());
        };
    }

    /** Training selection with entry {@code current} being trained (ignored without forceCurrent). */
    public PromptSelection selectForTraining(Backend be, Tensor queries, int current) {
        checkQueries(queries);
        if (!config.forceCurrent()) return selectForInference(be, queries);
        if (current < 0 || current >= entries.size()) throw new IllegalArgumentException("no entry " + current + " in a pool of " + entries.size());
        int b = queries.size(1);
        return switch (config.selector()) {
            case ARGMAX -> forced(be, queries, new int[0][], current);
            case SOFT -> soft(be, queries, current + 1);
            case TOP_K -> {
                int k = config.topK();
                if (k == 1) yield forced(be, queries, new int[b][0], current);
                if (current + 1 <= k - 1) {                                                   // t <= K - 1: [1..t]
                    int[] all = new int[current];
                    for (int i = 0; i < current; i++) all[i] = i;
                    int[][] rows = new int[b][];
                    Arrays.fill(rows, all);
                    yield forced(be, queries, rows, current);
                }
                Tensor mask = Tensor.zeros(DType.U8, b, current);                             // previous tasks only
                for (int s = 0; s < b; s++) for (int i = 0; i < current; i++) mask.setLong(1, s, i);
                PromptSelection previous = ranked(be, queries, current, mask, k - 1);
                yield forced(be, queries, previous.entries(), current);
            }
        };
    }

    /** rows (or none) followed by {@code current}, with scores computed for every listed entry. */
    private PromptSelection forced(Backend be, Tensor queries, int[][] rows, int current) {
        int b = queries.size(1);
        double[][] s = scoreMatrix(be, queries, current + 1);
        int[][] e = new int[b][];
        float[][] sc = new float[b][];
        for (int i = 0; i < b; i++) {
            int[] prev = rows.length == 0 ? new int[0] : rows[i];
            e[i] = Arrays.copyOf(prev, prev.length + 1);
            e[i][prev.length] = current;
            sc[i] = new float[e[i].length];
            for (int j = 0; j < e[i].length; j++) sc[i][j] = (float) s[i][e[i][j]];
        }
        return new PromptSelection(e, sc, null);
    }

    /** The k best of entries [0, count) per sample (mask [B, count] or null), listed in ascending score order. */
    private PromptSelection ranked(Backend be, Tensor queries, int count, Tensor mask, int k) {
        int b = queries.size(1);
        long[] idx;
        float[] val;
        int rowsPerEntry = 1;
        if (config.score() == PromptPoolConfig.Score.COSINE) {
            Tensor keys = keyTensor(be, count);                                              // [M, rows, d]
            rowsPerEntry = keys.size(1) / Math.max(1, count);
            int kk = config.keys() == PromptPoolConfig.Keys.CENTROIDS ? 1 : k;
            Backend.TopK top = PromptSimilarity.select(be, queries, keys, config.queryWeights(), mask, kk);
            idx = top.indices().to(DType.I64).toLongArray();
            val = top.values().to(DType.F32).toFloatArray();
            k = kk;
        } else {
            double[][] s = scoreMatrix(be, queries, count);
            idx = new long[b * k];
            val = new float[b * k];
            for (int i = 0; i < b; i++) {
                Integer[] order = new Integer[count];
                for (int j = 0; j < count; j++) order[j] = j;
                final int row = i;
                Arrays.sort(order, (x, y) -> s[row][x] != s[row][y] ? Double.compare(s[row][y], s[row][x]) : Integer.compare(x, y));
                int w = 0;
                for (int j = 0; j < count && w < k; j++) {
                    if (mask != null && mask.getLong(i, order[j]) == 0) continue;
                    idx[i * k + w] = order[j];
                    val[i * k + w++] = (float) s[i][order[j]];
                }
                for (; w < k; w++) {
                    idx[i * k + w] = -1;
                    val[i * k + w] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        int[][] e = new int[b][];
        float[][] sc = new float[b][];
        for (int i = 0; i < b; i++) {
            List<Integer> picked = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                long r = idx[i * k + j];
                if (r < 0) continue;
                picked.add((int) (r / rowsPerEntry));
                scores.add(val[i * k + j]);
            }
            Collections.reverse(picked);                                                    // ascending: most similar last
            Collections.reverse(scores);
            e[i] = picked.stream().mapToInt(Integer::intValue).toArray();
            sc[i] = new float[scores.size()];
            for (int j = 0; j < sc[i].length; j++) sc[i][j] = scores.get(j);
        }
        return new PromptSelection(e, sc, null);
    }

    /** Every entry of [0, count), weighted by its score (CODA-Prompt style, no softmax), in entry order. */
    private PromptSelection soft(Backend be, Tensor queries, int count) {
        int b = queries.size(1);
        double[][] s = scoreMatrix(be, queries, count);
        int[][] e = new int[b][count];
        float[][] sc = new float[b][count], w = new float[b][count];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < count; j++) {
                e[i][j] = j;
                sc[i][j] = (float) s[i][j];
                w[i][j] = (float) s[i][j];
            }
        }
        return new PromptSelection(e, sc, w);
    }

    /**
     * s[b][i] of entries [0, count) in double (§5.1 for COSINE with the eps clamp on each norm; -sum_m w_m ||q - k||
     * for NEG_L2). For CENTROIDS the best centroid of each entry.
     */
    public double[][] scoreMatrix(Backend be, Tensor queries, int count) {
        checkQueries(queries);
        int m = config.modalities(), b = queries.size(1), d = config.keyDim();
        float[] q = queries.to(DType.F32).contiguous().toFloatArray();
        float[] keys = keyTensor(be, count).toFloatArray();
        int rows = keys.length / (m * d), perEntry = rows / Math.max(1, count);
        float[] w = config.queryWeights();
        double[][] s = new double[b][count];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < count; j++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int r = j * perEntry; r < (j + 1) * perEntry; r++) {
                    double total = 0;
                    for (int mm = 0; mm < m; mm++) {
                        double dot = 0, qq = 0, kk = 0, l2 = 0;
                        for (int x = 0; x < d; x++) {
                            double u = q[(mm * b + i) * d + x], v = keys[(mm * rows + r) * d + x];
                            dot += u * v;
                            qq += u * u;
                            kk += v * v;
                            l2 += (u - v) * (u - v);
                        }
                        total += config.score() == PromptPoolConfig.Score.COSINE
                                ? w[mm] * dot / (Math.max(Math.sqrt(qq), EPS) * Math.max(Math.sqrt(kk), EPS))
                                : -w[mm] * Math.sqrt(l2);
                    }
                    best = Math.max(best, total);
                }
                s[i][j] = best;
            }
        }
        return s;
    }

    /**
     * The keys of entries [0, count) for selection: [M, count, d] (every modality compares with the entry's one key),
     * or [M, count * c, d] for CENTROIDS (entry i owns rows [i c, (i + 1) c)). Values only (cached per entry).
     */
    public Tensor keyTensor(Backend be, int count) {
        int m = config.modalities(), d = config.keyDim();
        if (config.keys() == PromptPoolConfig.Keys.CENTROIDS) {
            int c = -1;
            for (int i = 0; i < count; i++) {
                Tensor ct = entries.get(i).centroids();
                if (ct == null) throw new IllegalStateException(entries.get(i).name() + ": centroids are not fitted yet");
                if (c >= 0 && ct.size(1) != c) throw new IllegalStateException("entries have different centroid counts");
                c = ct.size(1);
            }
            if (count == 0) return Tensor.zeros(m, 0, d);
            float[] out = new float[m * count * c * d];
            for (int i = 0; i < count; i++) {
                float[] ct = entries.get(i).centroids().contiguous().toFloatArray();
                for (int q = 0; q < m; q++) System.arraycopy(ct, q * c * d, out, ((q * count + i) * c) * d, c * d);
            }
            return Tensor.of(out, m, count * c, d);
        }
        float[] out = new float[m * count * d];
        for (int i = 0; i < count; i++) {
            float[] k = entries.get(i).keyValues(be);
            for (int q = 0; q < m; q++) System.arraycopy(k, 0, out, (q * count + i) * d, d);
        }
        return Tensor.of(out, m, count, d);
    }

    private void checkQueries(Tensor queries) {
        if (queries.rank() != 3 || queries.size(0) != config.modalities() || queries.size(2) != config.keyDim()) {
            throw new IllegalArgumentException("queries must be [" + config.modalities() + " (" + String.join(", ", config.queries())
                    + "), B, " + config.keyDim() + "], got " + Arrays.toString(queries.shape()));
        }
    }

    // ------------------------------------------------------------------------------------------- composition

    /** The prompt embeddings each sample gets (§2.4, §5.4): differentiable in the prompts on a GradBackend. */
    public List<PromptInsertion> compose(Backend be, PromptSelection sel) {
        PromptInsertion.Placement at = config.composer() == PromptPoolConfig.Composer.PREFIX
                ? PromptInsertion.Placement.PREFIX : PromptInsertion.Placement.AFTER_BOS;
        List<PromptInsertion> out = new ArrayList<>(sel.batch());
        for (int b = 0; b < sel.batch(); b++) {
            int[] e = sel.entries()[b];
            if (e.length == 0) {
                out.add(null);
                continue;
            }
            Tensor p;
            if (config.composer() == PromptPoolConfig.Composer.WEIGHTED_SUM) {
                p = be.scale(entries.get(e[0]).prompt(), sel.weights()[b][0]);
                for (int j = 1; j < e.length; j++) p = be.add(p, be.scale(entries.get(e[j]).prompt(), sel.weights()[b][j]));
            } else {
                List<Tensor> parts = new ArrayList<>(e.length);
                for (int i : e) parts.add(entries.get(i).prompt());
                p = parts.size() == 1 ? parts.get(0) : be.concat(parts, 0);                 // [|sel| Lp, D]
            }
            out.add(new PromptInsertion(p, at));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------- key loss

    /**
     * The key loss (rank 0) for queries [M, B, d] and the batch's selection, differentiable in the keys of the
     * training entries; null for KeyLoss.NONE. CURRENT: w · sum_m (1 - mean_b cos(q_m,b, k_c)) (§6.1:
     * L_img + L_txt); SELECTED: w · mean_b sum_{i in sel(b)} sum_m (1 - cos(q_m,b, k_i)) (L2P). A zero query has cos 0.
     */
    public Tensor keyLoss(Backend be, Tensor queries, PromptSelection sel, int current) {
        checkQueries(queries);
        int m = config.modalities(), b = queries.size(1), d = config.keyDim();
        float[][] unit = unitRows(queries);
        float w = config.keyLossWeight();
        return switch (config.keyLoss()) {
            case NONE -> null;
            case CURRENT -> {
                Tensor k = entries.get(current).key(be);                                     // [d]
                Tensor invNorm = inverseNorm(be, k);
                Tensor cosSum = null;
                for (int q = 0; q < m; q++) {
                    float[] mean = new float[d];
                    for (int i = 0; i < b; i++) for (int x = 0; x < d; x++) mean[x] += unit[q][i * d + x] / b;
                    Tensor c = be.mul(be.sum(be.mul(Tensor.of(mean, d), k), 0, false), invNorm);   // mean_b cos
                    cosSum = cosSum == null ? c : be.add(cosSum, c);
                }
                yield be.scale(be.sub(Tensor.scalar(m), cosSum), w);
            }
            case SELECTED -> {
                Map<Integer, float[][]> sums = new LinkedHashMap<>();                       // entry -> per modality sum of q̂
                Map<Integer, Integer> counts = new LinkedHashMap<>();
                for (int i = 0; i < b; i++) {
                    for (int e : sel.entries()[i]) {
                        float[][] s = sums.computeIfAbsent(e, x -> new float[m][d]);
                        counts.merge(e, 1, Integer::sum);
                        for (int q = 0; q < m; q++) for (int x = 0; x < d; x++) s[q][x] += unit[q][i * d + x];
                    }
                }
                Tensor total = null;
                double constant = 0;
                for (var en : sums.entrySet()) {
                    Tensor k = entries.get(en.getKey()).key(be);
                    Tensor invNorm = inverseNorm(be, k);
                    constant += (double) counts.get(en.getKey()) * m;
                    for (int q = 0; q < m; q++) {
                        Tensor c = be.mul(be.sum(be.mul(Tensor.of(en.getValue()[q].clone(), d), k), 0, false), invNorm);
                        total = total == null ? c : be.add(total, c);
                    }
                }
                if (total == null) yield null;
                yield be.scale(be.sub(Tensor.scalar((float) constant), total), w / b);
            }
        };
    }

    /** 1 / max(||k||, eps) (rank 0): differentiable where ||k|| >= eps, the constant 1/eps below it. */
    private static Tensor inverseNorm(Backend be, Tensor k) {
        Tensor norm = be.sqrt(be.sum(be.mul(k, k), 0, false));
        if (norm.item() < EPS) return Tensor.scalar((float) (1 / EPS));
        return be.div(Tensor.scalar(1f), norm);
    }

    /** Each query row divided by max(||row||, eps), per modality: [M][B * d]. */
    static float[][] unitRows(Tensor queries) {
        int m = queries.size(0), b = queries.size(1), d = queries.size(2);
        float[] q = queries.to(DType.F32).contiguous().toFloatArray();
        float[][] out = new float[m][b * d];
        for (int mm = 0; mm < m; mm++) {
            for (int i = 0; i < b; i++) {
                double n = 0;
                for (int x = 0; x < d; x++) n += (double) q[(mm * b + i) * d + x] * q[(mm * b + i) * d + x];
                double inv = 1 / Math.max(Math.sqrt(n), EPS);
                for (int x = 0; x < d; x++) out[mm][i * d + x] = (float) (q[(mm * b + i) * d + x] * inv);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------- training

    /**
     * The tensors that train while entry {@code current} is trained, named "{entry}/{tensor}" (CURRENT_ENTRY: the
     * current entry's prompt and key tensors; ALL_ENTRIES: every entry's).
     */
    public Map<String, Tensor> trainable(int current) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            if (config.trainable() == PromptPoolConfig.Trainable.CURRENT_ENTRY && i != current) continue;
            PromptEntry e = entries.get(i);
            e.trainableTensors().forEach((n, t) -> out.put(e.name() + "/" + n, t));
        }
        return out;
    }

    /** Forgets cached keys of the entries that train (after their tensors changed). */
    public void invalidateKeys(int current) {
        for (int i = 0; i < entries.size(); i++) {
            if (config.trainable() == PromptPoolConfig.Trainable.ALL_ENTRIES || i == current) entries.get(i).invalidateKey();
        }
    }
}
