/* F16/BF16 conversions: exhaustive round trips over all 65,536 bit patterns and rounding at ties. */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HalfTest {
    @Test
    void everyF16ValueRoundTripsExactly() {
        for (int bits = 0; bits < 65536; bits++) {
            float f = Half.f16ToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.f16ToFloat(Half.floatToF16(f))), "NaN stays NaN");
                continue;
            }
            assertEquals(bits, Half.floatToF16(f) & 0xffff, "f16 bits 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void everyBf16ValueRoundTripsExactly() {
        for (int bits = 0; bits < 65536; bits++) {
            float f = Half.bf16ToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(f))));
                continue;
            }
            assertEquals(bits, Half.floatToBf16(f) & 0xffff, "bf16 bits 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void knownF16Values() {
        assertEquals(65504f, Half.f16ToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, Half.f16ToFloat((short) 0x0001));          // smallest subnormal
        assertEquals(0x3c00, Half.floatToF16(1f) & 0xffff);
        assertEquals(0x7c00, Half.floatToF16(65520f) & 0xffff);            // rounds up to +inf
        assertEquals(0x7bff, Half.floatToF16(65519f) & 0xffff);
        assertEquals(0x3c00, Half.floatToF16(1.00048828125f) & 0xffff);    // tie, even mantissa kept
        assertEquals(0x3c02, Half.floatToF16(1.00146484375f) & 0xffff);    // tie, rounds to even (up)
        assertEquals(0x0001, Half.floatToF16(0x1p-24f) & 0xffff);
        assertEquals(0x0000, Half.floatToF16(0x1p-25f) & 0xffff);          // tie at the smallest subnormal -> 0
        assertEquals(0x8000, Half.floatToF16(-0f) & 0xffff);
    }

    @Test
    void knownBf16Values() {
        assertEquals(0x3f80, Half.floatToBf16(1f) & 0xffff);
        assertEquals(0x3f80, Half.floatToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff);   // tie -> even
        assertEquals(0x3f82, Half.floatToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff);   // tie -> even (up)
        assertEquals(0x3f81, Half.floatToBf16(Float.intBitsToFloat(0x3f808001)) & 0xffff);
        assertEquals(0x7f80, Half.floatToBf16(Float.POSITIVE_INFINITY) & 0xffff);
    }
}
