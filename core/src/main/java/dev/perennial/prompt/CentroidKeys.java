/*
 * S-Prompts' keys (Wang et al. 2022, "S-Prompts Learning with Pre-trained Transformers"): when a task's entry is
 * created, its training queries are clustered (k-means, Lloyd, seeded k-means++) and the entry keeps `perEntry`
 * centroids per modality [M, c, d], never trained. The clustering runs on the concatenated unit-normalised queries;
 * each modality's centroid is the mean of its unit query over the cluster. Selection takes the entry that owns the
 * best centroid (so it goes with the argmax selector and the cosine score), and there is no key loss. The KeySource
 * "centroids".
 */
package dev.perennial.prompt;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Keys that are k-means centroids of each entry's training queries (S-Prompts), {@code perEntry} per entry.
 * <p>Immutable; safe to share between threads.
 *
 * @param perEntry centroids per entry (at most the task's sample count are fitted)
 */
public record CentroidKeys(int perEntry) implements KeySource {
    public CentroidKeys {
        if (perEntry < 1) throw new IllegalArgumentException("centroid keys need >= 1 centroid per entry, got " + perEntry);
    }

    @Override public String type() { return "centroids"; }

    @Override public Map<String, Object> settings() { return Map.of("perEntry", perEntry); }

    @Override
    public PromptEntry create(String name, Tensor prompt, int hidden, int keyDim, long seed) {
        return PromptEntry.centroids(name, prompt, null);
    }

    @Override
    public PromptEntry read(String name, Tensor prompt, Map<String, Tensor> tensors) {
        return PromptEntry.centroids(name, prompt, KeySource.required(tensors, PromptEntry.CENTROIDS));
    }

    @Override
    public void check(PromptEntry e, int hidden, int keyDim, int modalities) {
        if (e.centroids() != null) checkCentroids(e.name(), e.centroids(), keyDim, modalities);
    }

    @Override public boolean singleKey() { return false; }

    @Override
    public void validate(PromptPoolConfig config) {
        if (!(config.selector() instanceof ArgmaxSelector) || !(config.keyLoss() instanceof KeyLoss.None)) {
            throw new IllegalArgumentException("centroid keys need the argmax selector and no key loss");
        }
        if (!config.score().cosine()) throw new IllegalArgumentException("centroid keys are compared by cosine");
    }

    /** [M, count · c, d]: entry i owns rows [i c, (i + 1) c). */
    @Override
    public Tensor selectionKeys(Backend be, List<PromptEntry> entries, int count, int modalities, int keyDim) {
        int c = -1;
        for (int i = 0; i < count; i++) {
            Tensor ct = entries.get(i).centroids();
            if (ct == null) throw new IllegalStateException(entries.get(i).name() + ": centroids are not fitted yet");
            if (c >= 0 && ct.size(1) != c) throw new IllegalStateException("entries have different centroid counts");
            c = ct.size(1);
        }
        if (count == 0) return Tensor.zeros(modalities, 0, keyDim);
        float[] out = new float[modalities * count * c * keyDim];
        for (int i = 0; i < count; i++) {
            float[] ct = entries.get(i).centroids().contiguous().toFloatArray();
            for (int q = 0; q < modalities; q++) System.arraycopy(ct, q * c * keyDim, out, ((q * count + i) * c) * keyDim, c * keyDim);
        }
        return Tensor.of(out, modalities, count * c, keyDim);
    }

    /** Fits the entry's centroids [M, c, d] to the task's training queries [M, N, d]. */
    @Override
    public void prepare(PromptPool pool, int entry, Tensor queries, long seed) {
        int m = queries.size(0), n = queries.size(1), d = queries.size(2);
        float[][] unit = PromptPool.unitRows(queries);                                   // [M][N * d]
        float[] joined = new float[n * m * d];
        for (int i = 0; i < n; i++) for (int q = 0; q < m; q++) System.arraycopy(unit[q], i * d, joined, (i * m + q) * d, d);
        int c = Math.min(perEntry, n);
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
        PromptEntry e = pool.entry(entry);
        checkCentroids(e.name(), t, d, m);
        e.setCentroids(t);
    }

    private static void checkCentroids(String name, Tensor c, int keyDim, int modalities) {
        if (c.rank() != 3 || c.size(0) != modalities || c.size(2) != keyDim) {
            throw new IllegalArgumentException(name + ": centroids must be [" + modalities + ", c, " + keyDim + "], got " + c);
        }
    }
}
