/*
 * Read access to the pool's sample vectors (docs/methods/adapt-inf.md §2.5: the L2-normalised 8192-d projected gradients,
 * one row per pool sample, or another embedding for pruning, §7.1), one vector at a time, so that clustering
 * and pruning never need the whole [N, d] matrix in memory. InMemoryVectors holds them on the heap; a
 * memory-mapped store of the same rows can implement this interface without changing its users.
 */
package dev.perennial.cluster;

/**
 * Read access, one row at a time, to N float32 vectors of dimension d (the pool's projected gradients or another
 * embedding), so that clustering and pruning never hold the whole {@code [N, d]} matrix; {@code readFinite} maps NaN
 * to 0 and infinities to plus or minus {@code Float.MAX_VALUE}.
 * <p>Thread-safety contract: implementations must allow concurrent {@code read} calls with distinct destination
 * arrays (k-means reads rows from several threads); {@link InMemoryVectors} does.
 */
public interface VectorSource {

    /** N, the number of vectors. */
    int size();

    /** d, the length of every vector. */
    int dim();

    /**
     * Copies vector {@code index} (0 ≤ index &lt; size()) into dst[0, dim()). Implementations must allow concurrent
     * calls with distinct destination arrays: k-means reads rows from several threads.
     */
    void read(int index, float[] dst);

    /**
     * read(), then numpy's nan_to_num as the official code applies before clustering: NaN → 0, ±∞ → ±Float.MAX_VALUE.
     * Every user in this package reads through here.
     */
    default void readFinite(int index, float[] dst) {
        read(index, dst);
        for (int j = 0, d = dim(); j < d; j++) {
            float v = dst[j];
            if (!Float.isFinite(v)) dst[j] = Float.isNaN(v) ? 0f : Math.copySign(Float.MAX_VALUE, v);
        }
    }
}
