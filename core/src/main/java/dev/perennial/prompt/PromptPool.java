/*
 * A prompt pool (docs/methods/modalprompt.md §14) run by the parts of its PromptPoolConfig: entries with keys (the
 * KeySource makes and checks them), selection of entries per sample from its queries (the PromptSelector, built on
 * the primitives below), composition of the selected prompts into the embeddings inserted into the LLM input (the
 * PromptComposer) and the key loss (the KeyLoss). ModalPrompt is the configuration PromptPoolConfig.modalPrompt;
 * L2P, DualPrompt and S-Prompts are the other presets. The pool itself holds no method-specific branch: a new
 * method is a new combination of parts. When its composer asks for one (sharedRows() > 0: DualPrompt's G-prompt),
 * the pool also holds a shared prompt [rows, width], handed to every composition and trained with every task.
 *
 * Selection primitives (indices are 0-based entry positions; "task t" of the spec is entry t - 1):
 *   ranked  the k best of entries [0, count) per sample (optionally masked), ascending by score (§5.3: most
 *           similar last); when the key source gives an entry several key rows (S-Prompts' centroids) the best
 *           row decides, and k is 1;
 *   forced  given rows followed by the current entry, with their scores (ModalPrompt's training rule, §5.2);
 *   soft    every entry of [0, count), weighted by its score.
 * Ties are broken by the lower entry index before the ascending reversal (PromptSimilarity's rule, §5.3's
 * recommendation), so a selection is deterministic. With the cosine score the similarity and top-k of a batch is
 * one fused call (PromptSimilarity: the CUDA kernel on a CUDA backend); other scores are computed here in double.
 *
 * Keys used for selection are plain values (no gradient flows through selection, §12.15); the key loss uses the
 * differentiable key of the entries that train.
 */
package dev.perennial.prompt;

import dev.perennial.llava.PromptInsertion;
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
    static final double EPS = PromptScore.EPS;

    private final PromptPoolConfig config;
    private final int hidden;
    private final List<PromptEntry> entries = new ArrayList<>();
    private Tensor shared;                  // [composer.sharedRows(), hidden] float32, or null

    /** An empty pool for a model of width {@code hidden} (D). */
    public PromptPool(PromptPoolConfig config, int hidden) {
        if (hidden < 1) throw new IllegalArgumentException("hidden size must be >= 1");
        this.config = config;
        this.hidden = hidden;
    }

    public PromptPoolConfig config() { return config; }
    public int hidden() { return hidden; }

    /** The name of the shared prompt in the trainer's parameter map and in task files ("~shared/prompt"). */
    public static final String SHARED = "~shared";

    /** The shared prompt [composer.sharedRows(), width] (DualPrompt's G-prompt), or null before it exists. */
    public Tensor shared() { return shared; }

    /** Sets the shared prompt (a new one, or one loaded from a task folder); null forgets it. */
    public void setShared(Tensor prompt) {
        if (prompt != null) {
            int rows = config.composer().sharedRows();
            if (rows == 0) throw new IllegalArgumentException("the " + config.composer().type() + " composer has no shared prompt");
            if (prompt.rank() != 2 || prompt.dtype() != DType.F32 || prompt.size(0) != rows || prompt.size(1) != hidden) {
                throw new IllegalArgumentException("the shared prompt must be F32 [" + rows + ", " + hidden + "], got " + prompt);
            }
        }
        this.shared = prompt;
    }
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

    /** Adds a new entry with prompt {@code prompt} [Lp, D] and a fresh key part drawn from {@code seed} (the key source's). */
    public PromptEntry add(String name, Tensor prompt, long seed) {
        PromptEntry e = config.keys().create(name, prompt, hidden, config.keyDim(), seed);
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
        config.keys().check(e, hidden, config.keyDim(), config.modalities());
        entries.add(e);
    }

    /** Drops the last entry (a task whose training failed before it was committed). */
    void removeLast() {
        entries.remove(entries.size() - 1);
    }

    /**
     * Lets the key source prepare entry {@code entry} from its task's training queries [M, N, d] once the entry
     * exists (S-Prompts' centroids are fitted here; other sources do nothing).
     */
    public void prepareEntry(int entry, Tensor queries, long seed) {
        checkQueries(queries);
        config.keys().prepare(this, entry, queries, seed);
    }

    /** S-Prompts' keys: fits entry {@code entry}'s centroids to its training queries [M, N, d] (CentroidKeys only). */
    public void fitCentroids(int entry, Tensor queries, long seed) {
        if (!(config.keys() instanceof CentroidKeys)) throw new IllegalStateException("the pool's keys are " + config.keys().type());
        prepareEntry(entry, queries, seed);
    }

    // ------------------------------------------------------------------------------------------- selection

    /** Test-time (task-agnostic) selection over every entry for queries [M, B, d]. */
    public PromptSelection selectForInference(Backend be, Tensor queries) {
        checkQueries(queries);
        if (entries.isEmpty()) throw new IllegalStateException("the prompt pool is empty");
        return config.selector().inference(this, be, queries);
    }

    /** Training selection with entry {@code current} being trained (ignored unless the selector forces it). */
    public PromptSelection selectForTraining(Backend be, Tensor queries, int current) {
        checkQueries(queries);
        if (!config.selector().forcesCurrent()) return selectForInference(be, queries);
        if (current < 0 || current >= entries.size()) throw new IllegalArgumentException("no entry " + current + " in a pool of " + entries.size());
        return config.selector().training(this, be, queries, current);
    }

    /** rows (or none) followed by {@code current}, with scores computed for every listed entry. */
    PromptSelection forced(Backend be, Tensor queries, int[][] rows, int current) {
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
    PromptSelection ranked(Backend be, Tensor queries, int count, Tensor mask, int k) {
        int b = queries.size(1);
        long[] idx;
        float[] val;
        int rowsPerEntry = 1;
        if (config.score().cosine()) {
            Tensor keys = keyTensor(be, count);                                              // [M, rows, d]
            rowsPerEntry = keys.size(1) / Math.max(1, count);
            int kk = rowsPerEntry > 1 ? 1 : k;                                               // several rows per entry: the best row decides
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
    PromptSelection soft(Backend be, Tensor queries, int count) {
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
     * s[b][i] = sum_m w_m score(q_m,b, k_i) of entries [0, count) in double, with the pool's score (§5.1 for the cosine,
     * with the eps clamp on each norm); for an entry with several key rows (centroids) the best row.
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
                    for (int mm = 0; mm < m; mm++) total += w[mm] * config.score().score(q, (mm * b + i) * d, keys, (mm * rows + r) * d, d);
                    best = Math.max(best, total);
                }
                s[i][j] = best;
            }
        }
        return s;
    }

    /**
     * The key rows of entries [0, count) for selection (the key source's): [M, count, d] when every entry has one key
     * (which every modality compares with), [M, count * c, d] when entry i owns rows [i c, (i + 1) c) (centroids).
     */
    public Tensor keyTensor(Backend be, int count) {
        return config.keys().selectionKeys(be, entries, count, config.modalities(), config.keyDim());
    }

    private void checkQueries(Tensor queries) {
        if (queries.rank() != 3 || queries.size(0) != config.modalities() || queries.size(2) != config.keyDim()) {
            throw new IllegalArgumentException("queries must be [" + config.modalities() + " (" + String.join(", ", config.queries().names())
                    + "), B, " + config.keyDim() + "], got " + Arrays.toString(queries.shape()));
        }
    }

    // ------------------------------------------------------------------------------------------- composition

    /** The prompt embeddings each sample gets (§2.4, §5.4): differentiable in the prompts on a GradBackend. */
    public List<PromptInsertion> compose(Backend be, PromptSelection sel) {
        if (config.composer().sharedRows() > 0 && shared == null) throw new IllegalStateException("the pool's shared prompt does not exist yet (no task trained)");
        List<PromptInsertion> out = new ArrayList<>(sel.batch());
        for (int b = 0; b < sel.batch(); b++) {
            int[] e = sel.entries()[b];
            if (e.length == 0) {
                out.add(null);
                continue;
            }
            List<Tensor> prompts = new ArrayList<>(e.length);
            for (int i : e) prompts.add(entries.get(i).prompt());
            out.add(config.composer().compose(be, prompts, sel.weights() == null ? null : sel.weights()[b], shared));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------- key loss

    /**
     * The key loss (rank 0) for queries [M, B, d] and the batch's selection, differentiable in the keys of the
     * training entries (the pool's KeyLoss part); null when the part adds nothing.
     */
    public Tensor keyLoss(Backend be, Tensor queries, PromptSelection sel, int current) {
        checkQueries(queries);
        return config.keyLoss().loss(be, this, queries, sel, current);
    }

    /** (v · k) / max(||k||, eps) (rank 0) for a constant v [d]: the key-loss term both key losses sum (differentiable in k). */
    static Tensor cosineTerm(Backend be, float[] v, Tensor k, Tensor invNorm) {
        return be.mul(be.sum(be.mul(Tensor.of(v, v.length), k), 0, false), invNorm);
    }

    /** 1 / max(||k||, eps) (rank 0): differentiable where ||k|| >= eps, the constant 1/eps below it. */
    static Tensor inverseNorm(Backend be, Tensor k) {
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
     * current entry's prompt and key tensors; ALL_ENTRIES: every entry's), and the shared prompt when there is one.
     */
    public Map<String, Tensor> trainable(int current) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            if (config.trainable() == PromptPoolConfig.Trainable.CURRENT_ENTRY && i != current) continue;
            PromptEntry e = entries.get(i);
            e.trainableTensors().forEach((n, t) -> out.put(e.name() + "/" + n, t));
        }
        if (shared != null) out.put(SHARED + "/" + PromptEntry.PROMPT, shared);         // trains with every task
        return out;
    }

    /** Forgets cached keys of the entries that train (after their tensors changed). */
    public void invalidateKeys(int current) {
        for (int i = 0; i < entries.size(); i++) {
            if (config.trainable() == PromptPoolConfig.Trainable.ALL_ENTRIES || i == current) entries.get(i).invalidateKey();
        }
    }
}
