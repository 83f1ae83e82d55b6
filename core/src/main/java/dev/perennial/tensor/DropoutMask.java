/*
 * The inverted-dropout mask of a seed (LoRA dropout): element i is 0 with probability p, else 1/(1 − p), where the
 * uniform draw of element i is the i-th nextDouble() of java.util.SplittableRandom(seed). That draw has a closed
 * form — SplittableRandom(seed) adds the golden gamma γ = 0x9e3779b97f4a7c15 to its state before each draw, so
 * draw i is mix64(seed + (i + 1)·γ) >>> 11, times 2^-53 — which lets any element be computed on its own: in
 * parallel here and by the dropout kernel on a device (dropout.cu), with the very masks the sequential generator
 * gives. DropoutMaskTest checks all three against each other.
 */
package dev.perennial.tensor;

/**
 * Inverted-dropout masks by seed: element i is 0 with probability p, else 1/(1 − p) (float32), from the closed form of
 * the i-th {@code nextDouble()} of {@code SplittableRandom(seed)}, so any element can be computed on its own (in
 * parallel here, by the dropout kernel on a device) and matches the sequential generator.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class DropoutMask {
    /** SplittableRandom's GOLDEN_GAMMA. */
    public static final long GAMMA = 0x9e3779b97f4a7c15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private DropoutMask() {}

    /** The uniform draw in [0, 1) of element i for this seed (SplittableRandom(seed)'s (i+1)-th nextDouble()). */
    public static double uniform(long seed, long i) {
        return (mix64(seed + (i + 1) * GAMMA) >>> 11) * DOUBLE_UNIT;
    }

    /** SplittableRandom's mix64 (Stafford's variant 13 of the MurmurHash3 finalizer). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The mask [shape] on the host: 1/(1 − p) where uniform(seed, i) >= p, else 0. */
    public static Tensor host(int[] shape, float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
        Tensor m = Tensor.empty(DType.F32, shape);
        java.nio.FloatBuffer out = m.storage().floats();
        float keep = 1f / (1f - p);
        Parallel.forRows((int) m.numel(), 8, (start, end) -> {
            for (int i = start; i < end; i++) out.put(i, uniform(seed, i) >= p ? keep : 0f);
        });
        return m;
    }
}
