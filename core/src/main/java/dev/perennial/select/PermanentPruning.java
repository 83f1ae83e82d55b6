/*
 * Cluster-wise permanent pruning of the pool (docs/methods/adapt-inf.md §7.1, the official `semdedup`): "retain few from
 * similar samples, retain more from distant samples". When the pool holds more than P_max samples, the pool
 * budget is split over the clusters (BudgetSplit on P_max, §6.1) and each cluster keeps the keep_k members
 * that are least redundant with respect to EARLIER members:
 *
 *   u_i = v_i / max(‖v_i‖, 1e-12)                  (torch.nn.functional.normalize; NaN → 0, ±∞ → ±max first)
 *   M_j = max(0, max_{i<j} u_i·u_j)                members i < j in pool order (the code's strict upper triangle)
 *   keep the keep_k members with the smallest M, ties by pool position (a stable sort; the code's is not)
 *
 * The earliest copy of a duplicate group keeps its own M and every later copy gets M = 1, so older samples are
 * favoured. M is computed in tiles of `tile` members: for each column tile j-block, the row tiles i-block ≤ it
 * are multiplied (u_I·u_Jᵀ, one matmul on the Backend) and a running column maximum over the entries with
 * i < j is kept. Memory is O(m + tile²) per cluster, never the code's m×m matrix; rows are re-read from the
 * VectorSource per tile pair, so a memory-mapped store works.
 *
 * Nothing is pruned while the pool holds at most P_max samples (Appendix A). The official code always runs the
 * split; with N ≤ P_max its CODE_COMPAT result keeps every member anyway, so the results agree. Pool size after
 * pruning: exactly min(N, P_max) under EXACT_WATERFILL; CODE_COMPAT can keep more than P_max (BudgetSplit).
 */
package dev.perennial.select;

import dev.perennial.cluster.VectorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Cluster-wise permanent pruning of the pool to P_max samples: the cap is split over the clusters and each keeps its
 * members least redundant with earlier ones (redundancy: the largest cosine with an earlier member, at least 0),
 * computed in tiles (256 members by default) on a backend. Nothing is pruned while the pool holds at most P_max.
 * <p>Thread-safe if its backend is (the default {@code CpuBackend} is): its fields are final and each call keeps its
 * state in its own arrays. Its {@code Result} record does not copy its arrays.
 */
public final class PermanentPruning {
    private static final Logger log = LoggerFactory.getLogger(PermanentPruning.class);
    /** Members per tile side. */
    public static final int DEFAULT_TILE = 256;
    /** torch.nn.functional.normalize's eps. */
    private static final double NORM_EPS = 1e-12;

    /**
     * @param pruned      whether the pool was over P_max (otherwise nothing was computed or removed)
     * @param kept        kept pool positions, ascending
     * @param redundancy  M of every pool sample (empty when not pruned)
     * @param keepBudgets keep_k per cluster (the cluster sizes when not pruned)
     */
    public record Result(boolean pruned, int[] kept, float[] redundancy, int[] keepBudgets) {}

    private final int poolCap;
    private final BudgetSplit.Mode split;
    private final int tile;
    private final Backend backend;

    /** Pruning to P_max = poolCap with the EXACT_WATERFILL split, 256-member tiles, on a CpuBackend. */
    public PermanentPruning(int poolCap) {
        this(poolCap, BudgetSplit.Mode.EXACT_WATERFILL, DEFAULT_TILE, new CpuBackend());
    }

    public PermanentPruning(int poolCap, BudgetSplit.Mode split, int tile, Backend backend) {
        if (poolCap < 0) throw new IllegalArgumentException("P_max must be >= 0, got " + poolCap);
        if (tile < 1) throw new IllegalArgumentException("tile must be >= 1, got " + tile);
        this.poolCap = poolCap;
        this.split = split;
        this.tile = tile;
        this.backend = backend;
    }

    /**
     * Prunes a pool of N = vectors.size() samples with the given cluster labels (in [0, clusters)).
     */
    public Result prune(int[] labels, int clusters, VectorSource vectors) {
        int n = vectors.size();
        if (labels.length != n) throw new IllegalArgumentException(labels.length + " labels for " + n + " vectors");
        if (clusters < 1) throw new IllegalArgumentException("need K >= 1 clusters, got " + clusters);
        int[][] members = new int[clusters][];
        int[] sizes = new int[clusters];
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= clusters) {
                throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + " outside [0, " + clusters + ")");
            }
            sizes[labels[i]]++;
        }
        if (n <= poolCap) return new Result(false, IntStream.range(0, n).toArray(), new float[0], sizes);
        for (int k = 0; k < clusters; k++) members[k] = new int[sizes[k]];
        int[] fill = new int[clusters];
        for (int i = 0; i < n; i++) members[labels[i]][fill[labels[i]]++] = i;

        int[] keep = BudgetSplit.split(sizes, poolCap, split);
        float[] redundancy = new float[n];
        int[] kept = new int[Arrays.stream(keep).sum()];
        int filled = 0;
        for (int k = 0; k < clusters; k++) {
            int[] member = members[k];
            ClusterKeep c = pruneCluster(member, vectors, keep[k]);
            for (int j = 0; j < member.length; j++) redundancy[member[j]] = c.redundancy()[j];
            for (int p : c.kept()) kept[filled++] = p;
            log.debug("pruning cluster {}: {} -> {}", k, member.length, keep[k]);
        }
        Arrays.sort(kept);
        log.info("permanent pruning: pool {} -> {} (P_max {}, {} clusters)", n, kept.length, poolCap, clusters);
        return new Result(true, kept, redundancy, keep);
    }

    /**
     * One cluster's pruning.
     * @param kept       the kept members' positions (values of {@code member}), least redundant first
     * @param redundancy M of each member, aligned with {@code member}
     */
    public record ClusterKeep(int[] kept, float[] redundancy) {}

    /**
     * Keeps the {@code keep} members of one cluster that are least redundant with earlier members (ties by position),
     * as {@link #prune} does for each cluster: the result depends only on the members' vectors in this order, so a
     * cluster pruned on another machine (perennial-spark's executors, reading {@code vectors} from its rows) keeps
     * the same members.
     * @param member  the cluster's positions in pool order; {@code vectors.read(member[j])} is member j's vector
     * @param keep    keep_k, the cluster's share of P_max (BudgetSplit over all clusters' sizes)
     */
    public ClusterKeep pruneCluster(int[] member, VectorSource vectors, int keep) {
        if (keep < 0 || keep > member.length) throw new IllegalArgumentException("keep " + keep + " of " + member.length + " members");
        float[] m = redundancy(member, vectors);
        Integer[] order = IntStream.range(0, member.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(j -> m[j]).thenComparingInt(j -> j)).toArray(Integer[]::new);
        int[] kept = new int[keep];
        for (int j = 0; j < keep; j++) kept[j] = member[order[j]];
        return new ClusterKeep(kept, m);
    }

    /** The pool cap P_max this pruning splits. */
    public int poolCap() { return poolCap; }

    /** How P_max is split over the clusters. */
    public BudgetSplit.Mode split() { return split; }

    /** M_j = max(0, max_{i&lt;j} cos(v_{members[i]}, v_{members[j]})) for members in the given order. */
    public float[] redundancy(int[] members, VectorSource vectors) {
        int m = members.length, d = vectors.dim();
        float[] maxSim = new float[m];                                   // starts at 0: the max(0, ·)
        if (d == 0) return maxSim;
        for (int c0 = 0; c0 < m; c0 += tile) {
            int c1 = Math.min(m, c0 + tile), bc = c1 - c0;
            try (Tensor cols = Tensor.of(normalizedRows(members, c0, c1, vectors), bc, d)) {   // (bc, d)
                Tensor colsT = cols.transpose(0, 1);                                            // (d, bc) view
                for (int r0 = 0; r0 <= c0; r0 += tile) {
                    int r1 = Math.min(m, r0 + tile), br = r1 - r0;
                    Tensor rows = r0 == c0 ? cols : Tensor.of(normalizedRows(members, r0, r1, vectors), br, d);
                    try (Tensor sims = backend.matmul(rows, colsT)) {                          // (br, bc)
                        float[] s = sims.toFloatArray();
                        for (int r = 0; r < br; r++) {
                            for (int c = Math.max(0, r0 + r + 1 - c0); c < bc; c++) {         // i < j only
                                float v = s[r * bc + c];
                                if (v > maxSim[c0 + c]) maxSim[c0 + c] = v;
                            }
                        }
                    } finally {
                        if (rows != cols) rows.close();
                    }
                }
            }
        }
        return maxSim;
    }

    /** Rows members[from, to) of the source, NaN → 0 and ±∞ → ±max, L2-normalised as torch does. (rows, d) */
    private static float[] normalizedRows(int[] members, int from, int to, VectorSource vectors) {
        int d = vectors.dim();
        float[] out = new float[(to - from) * d], row = new float[d];
        for (int r = 0; r < to - from; r++) {
            vectors.readFinite(members[from + r], row);
            double sq = 0;
            for (int c = 0; c < d; c++) sq += (double) row[c] * row[c];
            double scale = 1.0 / Math.max(Math.sqrt(sq), NORM_EPS);
            for (int c = 0; c < d; c++) out[r * d + c] = (float) (row[c] * scale);
        }
        return out;
    }
}
