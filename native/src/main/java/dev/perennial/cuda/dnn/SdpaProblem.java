/*
 * The descriptor-level parameters of one scaled-dot-product attention call on cuDNN: sizes, the element strides of
 * the BF16 q, k, v views as they lie in memory, the scale, the causal flag with the KV-cache offset, and the
 * per-batch number of valid keys when keys are padded (cuDNN's padding mask takes valid keys as a prefix
 * [0, n_b) of each batch row: SEQ_LEN_KV). of(...) decides whether an AttentionMask fits cuDNN's masks at all
 * (null when not: keys valid in a pattern other than a prefix, or a query row that would see no key, whose zero
 * output cuDNN does not promise); the caller then keeps the hand-written kernel.
 */
package dev.perennial.cuda.dnn;

import dev.perennial.tensor.AttentionMask;

import java.util.Arrays;

/**
 * One SDPA problem as cuDNN's descriptors state it: {@code q [b, h, t, hd]}, {@code k, v [b, kv, tk, hd]} with the
 * given element strides (4 each), scale, causal with {@code start} cached keys, and {@code validKeys[b]} (null when
 * every key is valid).
 */
public record SdpaProblem(int b, int h, int kv, int t, int tk, int hd, long[] qStrides, long[] kStrides,
                          long[] vStrides, float scale, boolean causal, int start, int[] validKeys) {

    public SdpaProblem {
        if (b < 1 || h < 1 || kv < 1 || t < 1 || tk < 1 || hd < 1 || h % kv != 0) {
            throw new IllegalArgumentException("SDPA sizes b " + b + ", h " + h + ", kv " + kv + ", t " + t + ", tk "
                    + tk + ", hd " + hd + " (all at least 1, h a multiple of kv)");
        }
        if (qStrides.length != 4 || kStrides.length != 4 || vStrides.length != 4 || qStrides[3] != 1
                || kStrides[3] != 1 || vStrides[3] != 1) {
            throw new IllegalArgumentException("SDPA operands need 4 strides with a unit stride along hd, got "
                    + Arrays.toString(qStrides) + ", " + Arrays.toString(kStrides) + ", " + Arrays.toString(vStrides));
        }
        if (validKeys != null && validKeys.length != b) {
            throw new IllegalArgumentException("validKeys must have " + b + " entries, got " + validKeys.length);
        }
        qStrides = qStrides.clone();
        kStrides = kStrides.clone();
        vStrides = vStrides.clone();
        validKeys = validKeys == null ? null : validKeys.clone();
    }

    /** True when keys are padded (the graph then carries cuDNN's padding mask and the m/n/k overrides). */
    public boolean padded() { return validKeys != null; }

    /**
     * The problem for these operands and mask, or null when cuDNN's masks cannot express the mask exactly: valid
     * keys of a batch row not forming a prefix, or a query row that would see no key.
     */
    public static SdpaProblem of(int b, int h, int kv, int t, int tk, int hd, long[] qStrides, long[] kStrides,
                                 long[] vStrides, AttentionMask mask, float scale) {
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        int[] valid = null;
        if (m.hasKeyValidity()) {
            valid = new int[b];
            boolean all = true;
            for (int bi = 0; bi < b; bi++) {
                int n = 0;
                while (n < tk && m.keyValid(bi, n)) n++;
                for (int j = n; j < tk; j++) if (m.keyValid(bi, j)) return null;   // not a prefix
                if (n == 0) return null;                                          // rows that see no key
                valid[bi] = n;
                all &= n == tk;
            }
            if (all) valid = null;
        }
        return new SdpaProblem(b, h, kv, t, tk, hd, qStrides, kStrides, vStrides, scale, m.isCausal(), m.start(), valid);
    }

    @Override
    public long[] qStrides() { return qStrides.clone(); }

    @Override
    public long[] kStrides() { return kStrides.clone(); }

    @Override
    public long[] vStrides() { return vStrides.clone(); }

    @Override
    public int[] validKeys() { return validKeys == null ? null : validKeys.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof SdpaProblem p && b == p.b && h == p.h && kv == p.kv && t == p.t && tk == p.tk && hd == p.hd
                && Arrays.equals(qStrides, p.qStrides) && Arrays.equals(kStrides, p.kStrides)
                && Arrays.equals(vStrides, p.vStrides) && Float.compare(scale, p.scale) == 0 && causal == p.causal
                && start == p.start && Arrays.equals(validKeys, p.validKeys);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(new long[]{b, h, kv, t, tk, hd, start}) * 31 + Arrays.hashCode(qStrides); }

    @Override
    public String toString() {
        return "SDPA b " + b + " h " + h + " kv " + kv + " t " + t + " tk " + tk + " hd " + hd + " scale " + scale
                + (causal ? " causal start " + start : " full") + (validKeys == null ? "" : " valid " + Arrays.toString(validKeys));
    }
}
