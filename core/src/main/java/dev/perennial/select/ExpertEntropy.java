/*
 * The expert criterion of multi-way selection (docs/methods/adapt-inf.md §6.2): for every scoring function n, histogram its
 * scores over a cluster and take the Shannon entropy in bits; the cluster uses the expert whose histogram has
 * the largest entropy, ŝ^(k) = argmax_n H(P̂_n), i.e. the most spread-out, most discriminative score.
 *
 * STANDARDIZED (default, the paper's intent): non-finite scores (NaN, ±∞) are treated as missing and left out;
 * σ = population std of the rest; σ == 0 (a constant score, or fewer than two values) → H = 0. Otherwise
 * z = (x − mean)/σ, edges e = linspace(−4, 4, 50) (numpy's formula e_i = i·(8/49) − 4, e_49 = 4), 49 bins
 * (e_{i−1}, e_i] with the first one closed at −4, so exactly the values with |z| > 4 are dropped;
 * p = counts/Σcounts, H = −Σ_{p>0} p·log2 p. Depends only on the z-scores, so it is invariant to s ↦ a·s + b
 * (a > 0; a < 0 mirrors the bins and only moves values lying exactly on an edge). Choice: argmax, ties to the
 * lower expert index, NaN never chosen.
 *
 * CODE_COMPAT: get_dist_entropy + np.argmax of the official code, quirks included: nan_to_num (NaN → 0,
 * ±∞ → ±max of the input type), z-scores binned against edges linspace(−4σ, 4σ, 50) (σ-scaled edges applied to
 * z, so the criterion depends on the scale), counts[0] always 0, zero probabilities replaced by machine epsilon
 * 2^-52 (each adds ≈ 1.15e-14 bits), a constant score or no value in range → NaN (0·log2 0), and np.argmax
 * semantics: the first NaN wins, otherwise the first maximum. Statistics are computed in double; numpy keeps
 * float32 input in float32, so a value lying within float rounding of an edge may be binned differently.
 */
package dev.perennial.select;

/**
 * The expert criterion of multi-way selection: {@code entropyBits} histograms one scorer's scores over a cluster (49
 * bins over ±4 standard deviations) and returns the Shannon entropy in bits, and {@code chooseExpert} picks the scorer
 * with the largest one. {@code STANDARDIZED} treats non-finite scores as missing; {@code CODE_COMPAT} follows the
 * official code.
 * <p>Stateless; its static methods are safe to call from several threads.
 */
public final class ExpertEntropy {
    private ExpertEntropy() {}

    public enum Mode { STANDARDIZED, CODE_COMPAT }

    /** Number of histogram edges (the code's nbins); the histogram has one bin fewer. */
    public static final int EDGES = 50;
    /** Edges span ±4 (STANDARDIZED: in z units; CODE_COMPAT: ±4σ, applied to z). */
    public static final double RANGE = 4.0;

    /** Entropy in bits of the histogram of {@code scores}; float32 input as stored by the scorers. */
    public static double entropyBits(float[] scores, Mode mode) {
        double[] x = new double[scores.length];
        for (int i = 0; i < x.length; i++) {
            float v = scores[i];
            if (mode == Mode.CODE_COMPAT && !Float.isFinite(v)) v = Float.isNaN(v) ? 0f : Math.copySign(Float.MAX_VALUE, v);
            x[i] = v;
        }
        return entropyOfFinite(x, mode);
    }

    /** Entropy in bits of the histogram of {@code scores} (double input: no float32 rounding). */
    public static double entropyBits(double[] scores, Mode mode) {
        double[] x = scores.clone();
        if (mode == Mode.CODE_COMPAT) {
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(x[i])) x[i] = Double.isNaN(x[i]) ? 0 : Math.copySign(Double.MAX_VALUE, x[i]);
            }
        }
        return entropyOfFinite(x, mode);
    }

    /**
     * The chosen expert for one cluster given each expert's entropy (in the scorers' order): the index of the
     * largest, ties to the lower index. STANDARDIZED skips NaN (all NaN is an error); CODE_COMPAT follows
     * np.argmax, where the first NaN wins.
     */
    public static int chooseExpert(double[] entropies, Mode mode) {
        if (entropies.length == 0) throw new IllegalArgumentException("no expert to choose from");
        int best = -1;
        for (int n = 0; n < entropies.length; n++) {
            double h = entropies[n];
            if (Double.isNaN(h)) {
                if (mode == Mode.CODE_COMPAT) return n;
                continue;
            }
            if (best < 0 || h > entropies[best]) best = n;
        }
        if (best < 0) throw new IllegalArgumentException("every expert's entropy is NaN");
        return best;
    }

    /** STANDARDIZED drops non-finite values here; CODE_COMPAT input has already been through nan_to_num. */
    private static double entropyOfFinite(double[] x, Mode mode) {
        int n = 0;
        for (double v : x) if (Double.isFinite(v) || mode == Mode.CODE_COMPAT) x[n++] = v;
        if (n == 0) return mode == Mode.CODE_COMPAT ? Double.NaN : 0.0;   // np.std([]) is NaN
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[i];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
        double std = Math.sqrt(var / n);
        if (mode == Mode.STANDARDIZED && !(std > 0)) return 0.0;

        double[] edges = linspace(-RANGE * (mode == Mode.CODE_COMPAT ? std : 1), RANGE * (mode == Mode.CODE_COMPAT ? std : 1), EDGES);
        long[] counts = new long[EDGES];                                 // counts[0] stays 0, as in the code
        long total = 0;
        for (int i = 0; i < n; i++) {
            double z = (x[i] - mean) / std;
            int bin = bin(z, edges, mode == Mode.STANDARDIZED);
            if (bin > 0) {
                counts[bin]++;
                total++;
            }
        }
        if (total == 0) return mode == Mode.CODE_COMPAT ? Double.NaN : 0.0;
        double h = 0;
        double eps = Math.ulp(1.0);                                      // np.finfo(float).eps
        for (int b = 0; b < EDGES; b++) {
            double p = (double) counts[b] / total;
            if (p == 0) {
                if (mode == Mode.STANDARDIZED) continue;
                p = eps;
            }
            h -= p * log2(p);
        }
        return h;
    }

    /**
     * The bin i ∈ [1, EDGES) with edges[i−1] < z ≤ edges[i], or 0 if there is none (out of range or NaN).
     * closedAtStart also puts z == edges[0] into bin 1.
     */
    private static int bin(double z, double[] edges, boolean closedAtStart) {
        if (!(z <= edges[EDGES - 1])) return 0;                           // above the range, or NaN
        if (z < edges[0] || (z == edges[0] && !closedAtStart)) return 0;
        if (z == edges[0]) return 1;
        int lo = 1, hi = EDGES - 1;                                       // smallest i with z <= edges[i]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (z <= edges[mid]) hi = mid; else lo = mid + 1;
        }
        return edges[lo - 1] < z ? lo : 0;
    }

    /** numpy.linspace(start, stop, num) with endpoint: start + i·step, the last one exactly stop. */
    private static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] e = new double[num];
        for (int i = 0; i < num; i++) e[i] = i * step + start;
        e[num - 1] = stop;
        return e;
    }

    private static double log2(double p) {
        return Math.log(p) / Math.log(2);
    }
}
