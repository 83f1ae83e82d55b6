/*
 * The cosines and sines of rotary position embeddings (docs/methods/llava-numerics.md, "Numerics to match"), computed once per
 * (θ, head dim) and reused: angle(p, i) = p · θ^(-2i/hd) in double, rounded to float after cos/sin, exactly as the CPU
 * backend computed them per call before. Per call they cost T·hd/2 double cos and sin (≈ 80 µs for 125 positions of
 * a 32-wide head, a quarter of a small model's RoPE time in ADAPT-∞ scoring); a table lookup costs nothing.
 *
 * A table holds positions [0, P) as [P, hd/2] floats and grows by doubling (copy on grow: readers keep the table
 * they got, which never changes). A negative position p (the backward pass rotates by -p) reads |p| with the sine
 * negated: cos is even and sin odd, and p·f negated is exactly (-p)·f in IEEE arithmetic. Positions beyond MAX_CACHED
 * are not cached (the caller computes them directly), so a stray large position cannot make the table huge.
 */
package dev.perennial.tensor;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Cached RoPE cosine and sine tables {@code [P, hd/2]} per (θ, head dim), grown on demand.
 * <p>Thread-safe: tables are immutable once published and the cache is a concurrent map.
 */
final class RopeTable {
    /** Positions up to this bound are cached (4 MB per table at hd = 128). */
    static final int MAX_CACHED = 1 << 16;

    final float[] cos, sin;     // [P, half]
    final int half, positions;

    private record Key(float theta, int headDim) {}

    private static final ConcurrentHashMap<Key, RopeTable> TABLES = new ConcurrentHashMap<>();

    private RopeTable(float theta, int headDim, int positions) {
        this.half = headDim / 2;
        this.positions = positions;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        double[] invFreq = inverseFrequencies(theta, headDim);
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** θ^(-2i/hd) for i in [0, hd/2), in double. */
    static double[] inverseFrequencies(float theta, int headDim) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / headDim);
        return f;
    }

    /** A table covering positions [0, maxAbsPosition], or null when that exceeds MAX_CACHED. */
    static RopeTable covering(float theta, int headDim, long maxAbsPosition) {
        if (maxAbsPosition >= MAX_CACHED) return null;
        Key key = new Key(theta, headDim);
        RopeTable t = TABLES.get(key);
        if (t != null && t.positions > maxAbsPosition) return t;
        int want = Math.max(256, Integer.highestOneBit((int) maxAbsPosition) * 2);
        return TABLES.compute(key, (k, old) -> old != null && old.positions > maxAbsPosition ? old
                : new RopeTable(theta, headDim, Math.min(MAX_CACHED, want)));
    }
}
