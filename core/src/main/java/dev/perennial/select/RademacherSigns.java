/*
 * The one definition of the Rademacher matrix R ∈ {±1}^{d×k} that ADAPT-∞ projects gradients with
 * (docs/methods/adapt-inf.md §2.4): R[row, col] = sign(seed, row, col), generated on the fly from a counter-based hash and
 * never stored (d ≈ 10^7 gradient coordinates × k = 8192 columns would be 8·10^10 entries). The CUDA kernel
 * cuda/src/main/cuda/random_projection.cu reproduces this recipe bit for bit; change both or neither (the golden
 * values in RademacherSignsTest catch a change here).
 *
 * Recipe (all arithmetic unsigned 64-bit, wrapping; Java longs with >>> for the shifts):
 *   mix64(z)   = SplitMix64's finaliser (Steele, Lea, Flood 2014; Stafford's "variant 13"):
 *                  z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *                  z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *                  return z ^ (z >>> 31)
 *   GAMMA      = 0x9E3779B97F4A7C15 (2^64 / golden ratio, SplitMix64's increment)
 *   rowKey     = mix64(mix64(seed) + GAMMA * (row + 1))     output number row+1 of SplitMix64 seeded mix64(seed)
 *   bits       = mix64(rowKey + GAMMA * (word + 1))          with word = col >>> 6 (64 columns per hash)
 *   sign       = bit (col & 63) of bits: 0 -> +1, 1 -> -1
 * So one hash gives the signs of 64 consecutive columns of a row, and a row's key is computed once for all its
 * k / 64 words: d·k signs cost d·(k/64 + 1) mix64 calls (two 64-bit multiplies each). Seeding through mix64(seed)
 * keeps seeds s and s + GAMMA from giving row-shifted copies of one matrix. Example: seed 0, row 0 gives
 * rowKey 0xE220A8397B1DCDAF, the first output of SplitMix64 from state 0.
 */
package dev.perennial.select;

/**
 * The one definition of ADAPT-∞'s Rademacher matrix of ±1 entries, generated on the fly from SplitMix64 hashes and
 * never stored: {@code sign(seed, row, col)} is one entry, and {@code rowKey} and {@code wordBits} give the signs of 64
 * columns of a row at once. The CUDA kernel reproduces it bit for bit.
 * <p>Stateless; its static methods are pure functions, safe to call from several threads.
 */
public final class RademacherSigns {
    /** SplitMix64's increment, 2^64 / φ rounded to odd. */
    public static final long GAMMA = 0x9E3779B97F4A7C15L;

    private RademacherSigns() {}

    /** SplitMix64's finaliser: a bijection of the 64-bit integers with full avalanche. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The per-row key of row {@code row} (any unsigned 64-bit value) of the matrix with this seed. */
    public static long rowKey(long seed, long row) {
        return mix64(mix64(seed) + GAMMA * (row + 1));
    }

    /** The signs of columns 64·word .. 64·word + 63 of a row: bit b set means R[row, 64·word + b] = -1. */
    public static long wordBits(long rowKey, int word) {
        return mix64(rowKey + GAMMA * (word + 1L));
    }

    /** R[row, col] ∈ {+1, -1} of the matrix with this seed; col >= 0. */
    public static int sign(long seed, long row, int col) {
        if (col < 0) throw new IllegalArgumentException("negative column " + col);
        long bits = wordBits(rowKey(seed, row), col >>> 6);
        return ((bits >>> (col & 63)) & 1L) == 0 ? 1 : -1;
    }
}
