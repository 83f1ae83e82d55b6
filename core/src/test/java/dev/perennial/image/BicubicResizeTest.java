/*
 * BicubicResize against Pillow, bit for bit (docs/methods/llava-numerics.md tolerances: "preprocessing, PIL-exact bicubic").
 * The cases (golden/pillow/golden.json "resize", made by generate.py with the real Pillow) cover the 400x520
 * "down" image at factors 1.19, 4 and 10.8, the 64x45 "up" image to shortest edge 336, odd sizes, a resize
 * that shrinks one axis and stretches the other, one-axis-only resizes (where Pillow skips a pass), and
 * 1-pixel-wide, 1-pixel-high and 1x1 inputs. Saturated blocks in the inputs make the bicubic overshoot reach
 * PIL's clipping. Inputs and outputs are PNG files (lossless; ImageDecoderTest checks PNG decoding exactly).
 */
package dev.perennial.image;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BicubicResizeTest {

    static Stream<Arguments> cases() {
        return ImageGoldens.pillowCases("resize").stream().map(c -> Arguments.of(c.get("name").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPillowBitForBit(String name, JsonNode c) throws IOException {
        RgbImage in = ImageDecoder.read(ImageGoldens.PILLOW.resolve(c.get("input").asText()));
        RgbImage expected = ImageDecoder.read(ImageGoldens.PILLOW.resolve(c.get("output").asText()));
        assertArrayEquals(new int[]{c.get("in").get(0).asInt(), c.get("in").get(1).asInt()}, new int[]{in.width(), in.height()});
        RgbImage got = BicubicResize.resize(in, expected.width(), expected.height());
        assertEquals(expected, got, () -> name + ": " + ImageGoldens.describeDifference(expected, got));
    }

    @Test
    void theSameSizeIsTheImageItself() throws IOException {
        RgbImage in = ImageGoldens.npyImage(ImageGoldens.HF.resolve("image_rgb_uint8_up.npy"));
        assertSame(in, BicubicResize.resize(in, in.width(), in.height()));
    }

    @Test
    void nonPositiveSizesAreRefused() throws IOException {
        RgbImage in = ImageGoldens.npyImage(ImageGoldens.HF.resolve("image_rgb_uint8_up.npy"));
        assertThrows(IllegalArgumentException.class, () -> BicubicResize.resize(in, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> BicubicResize.resize(in, 5, -1));
    }

    @Test
    void kernelIsKeysCubicWithAMinusOneHalf() {
        // Keys (1981) with a = -0.5: 1 at 0, 0 at the integers, 0.5625 at 1/2, -0.0625 at 3/2, symmetric
        assertEquals(1.0, BicubicCoefficients.cubic(0.0));
        assertEquals(0.0, BicubicCoefficients.cubic(1.0), 0.0);
        assertEquals(0.0, BicubicCoefficients.cubic(2.0), 0.0);
        assertEquals(0.0, BicubicCoefficients.cubic(-2.5), 0.0);
        assertEquals(0.5625, BicubicCoefficients.cubic(0.5));
        assertEquals(0.5625, BicubicCoefficients.cubic(-0.5));
        assertEquals(-0.0625, BicubicCoefficients.cubic(1.5));
    }

    @Test
    void fixedPointWeightsOfEachOutputSumToOneWithinRounding() {
        for (int[] io : new int[][]{{400, 336}, {520, 48}, {45, 336}, {1, 17}, {7, 3}}) {
            BicubicCoefficients c = BicubicCoefficients.of(io[0], io[1]);
            for (int o = 0; o < io[1]; o++) {
                long sum = 0;
                for (int t = 0; t < c.count[o]; t++) sum += c.weights[o * c.taps + t];
                int n = c.count[o];
                long one = 1L << BicubicCoefficients.PRECISION_BITS;
                assertEquals(one, sum, n, "in " + io[0] + " out " + io[1] + " at " + o);
                assertTrue(c.first[o] >= 0 && c.first[o] + n <= io[0] && n <= c.taps, "taps inside the input");
            }
        }
    }
}
