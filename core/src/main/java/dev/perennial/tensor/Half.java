/*
 * IEEE binary16 (F16) and bfloat16 (BF16) <-> float32 conversions.
 *
 * Float.float16ToFloat only exists from JDK 20 and the library targets 17, so F16 is converted by hand.
 * Both narrowing conversions round to nearest even, as PyTorch does, so a round trip of a value that is
 * representable is exact and the writer produces the same bits as torch.
 */
package dev.perennial.tensor;

/**
 * Conversions between float32 and the 16-bit IEEE half (F16) and bfloat16 (BF16) formats, given as raw {@code short}
 * bits: widening is exact, narrowing rounds to nearest even as PyTorch does.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class Half {
    private Half() {}

    /**
     * Widens the 16 bits of an IEEE half to float (exact). Branch-free for finite values: the 15 magnitude bits
     * shifted into a float's exponent/mantissa position give 2^-112 times the half's value (subnormals
     * included, they land on float subnormals exactly), so one multiply by 2^112 rebiases the exponent.
     */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int magnitude = (h & 0x7fff) << 13;
        if ((h & 0x7c00) == 0x7c00) {                       // Inf / NaN: keep the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | magnitude);
        }
        return Float.intBitsToFloat(sign | Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) * 0x1p112f));
    }

    /** Narrows a float to IEEE half, round to nearest even; overflow gives Inf, NaN stays NaN. */
    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xff;
        int mant = x & 0x7fffff;
        if (exp == 0xff) {                                  // Inf / NaN
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);       // overflow -> Inf
        if (e <= 0) {                                       // subnormal or zero in half
            if (e < -10) return (short) sign;               // underflows to +-0
            int m = mant | 0x800000;                        // implicit leading one
            int shift = 14 - e;                             // 24-bit mantissa -> (10 + e)-bit subnormal
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) half++;   // may carry into the exponent: correct
        return (short) (sign | half);
    }

    /** Widens bfloat16 bits to float (exact). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Narrows a float to bfloat16, round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) return (short) ((x >>> 16) | 0x40);
        int rounding = 0x7fff + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }
}
