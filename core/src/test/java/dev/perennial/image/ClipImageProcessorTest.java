/*
 * CLIP preprocessing against the reference (docs/methods/llava-numerics.md tolerance "preprocessing, PIL-exact bicubic":
 * 1e-6 max abs; the measured difference is printed and is expected to be 0):
 *   - golden/preprocessing: real transformers CLIPImageProcessor output for the 64x45 "up" image, the HF path
 *     and LLaVA-1.5's pad path, plus LLaVA's expand2square result (uint8, exact);
 *   - golden/pillow: the 400x520 "down" image through both paths with shortest edge / crop 64, made by
 *     generate.py with the real Pillow (its restated processor reproduces the transformers goldens exactly);
 * and the pieces whose edge cases those images do not reach: the truncated long edge, center crop offsets
 * with floor division and transformers' zero padding of images smaller than the crop, and skipped steps.
 */
package dev.perennial.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ClipImageProcessorTest {
    static final double TOLERANCE = 1e-6;

    private static final ClipImageProcessor CLIP_336 = new ClipImageProcessor(PreprocessorConfig.CLIP_VIT_L_336);

    static Stream<Arguments> transformersGoldens() {
        return Stream.of(Arguments.of("pixel_values_hf_processor_up", false),
                Arguments.of("pixel_values_llava_pad_up", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transformersGoldens")
    void matchesTransformersOnTheUpImage(String golden, boolean pad) throws IOException {
        RgbImage image = ImageGoldens.npyImage(ImageGoldens.HF.resolve("image_rgb_uint8_up.npy"));
        assertMatches(ImageGoldens.HF.resolve(golden + ".npy"), CLIP_336, image, pad);
    }

    static Stream<Arguments> pillowGoldens() {
        return ImageGoldens.pillowCases("preprocess").stream()
                .map(c -> Arguments.of(c.get("output").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pillowGoldens")
    void matchesPillowReferenceOnTheDownImage(String name, JsonNode c) throws IOException {
        ClipImageProcessor processor = new ClipImageProcessor(
                PreprocessorConfig.load(ImageGoldens.PILLOW.resolve(c.get("config").asText())));
        RgbImage image = ImageDecoder.read(ImageGoldens.PILLOW.resolve(c.get("input").asText()));
        assertArrayEquals(new int[]{400, 520}, new int[]{image.width(), image.height()});
        assertMatches(ImageGoldens.PILLOW.resolve(name), processor, image, c.get("pad_to_square").asBoolean());
    }

    private static void assertMatches(Path golden, ClipImageProcessor processor, RgbImage image, boolean pad)
            throws IOException {
        try (Tensor expected = Npy.read(golden); Tensor got = processor.preprocess(image, pad).unsqueeze(0)) {
            double diff = ImageGoldens.maxAbsDiff(expected, got);
            System.out.printf("%s: max |Java - reference| = %.3g%n", golden.getFileName(), diff);
            assertEquals(0, diff, TOLERANCE, golden.getFileName().toString());
        }
    }

    @Test
    void expand2squareMatchesLlava() throws IOException {
        RgbImage image = ImageGoldens.npyImage(ImageGoldens.HF.resolve("image_rgb_uint8_up.npy"));
        int[] background = PadToSquare.background(new double[]{0.48145466, 0.4578275, 0.40821073});
        assertArrayEquals(new int[]{122, 116, 104}, background);
        assertEquals(ImageGoldens.npyImage(ImageGoldens.HF.resolve("expand2square_uint8_up.npy")),
                PadToSquare.apply(image, background));
    }

    @Test
    void expand2squareCentresTallImagesHorizontallyAndKeepsSquareOnes() {
        RgbImage tall = RgbImage.of(1, 4, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        RgbImage square = PadToSquare.apply(tall, new int[]{0, 0, 0});
        // (4 - 1) // 2 = 1 column of background on the left, 2 on the right
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(x == 1 ? 3 * y + 1 : 0, square.sample(x, y, 0), "(" + x + ", " + y + ")");
            }
        }
        assertSame(square, PadToSquare.apply(square, new int[]{9, 9, 9}));
    }

    @Test
    void theLongEdgeIsTruncatedLikePythonInt() {
        assertArrayEquals(new int[]{436, 336}, CLIP_336.resizedSize(520, 400));   // 336 * 520 / 400 = 436.8
        assertArrayEquals(new int[]{336, 477}, CLIP_336.resizedSize(45, 64));     // 336 * 64 / 45 = 477.87
        assertArrayEquals(new int[]{336, 336}, CLIP_336.resizedSize(50, 50));
        assertArrayEquals(new int[]{336, 3360}, CLIP_336.resizedSize(1, 10));
    }

    @Test
    void centerCropUsesFloorDivisionAndPadsSmallImagesWithZerosLikeTransformers() {
        byte[] rgb = new byte[5 * 3 * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (i / 3 + 1);   // pixel value = 1 + row-major index
        RgbImage image = RgbImage.of(5, 3, rgb);
        // shrinking: top = (3 - 2) // 2 = 0, left = (5 - 2) // 2 = 1
        RgbImage small = CenterCrop.apply(image, 2, 2);
        assertEquals(List.of(2, 3, 7, 8), values(small));
        // growing a 5x3 image to 4x6: left = (5 - 4) // 2 = 0; top = (3 - 6) // 2 = -2, so transformers pads
        // ceil(3 / 2) = 2 zero rows above and 1 below
        RgbImage grown = CenterCrop.apply(image, 4, 6);
        assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 0, 0, 0, 0), values(grown));
    }

    private static List<Integer> values(RgbImage image) {
        Integer[] v = new Integer[image.width() * image.height()];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) v[y * image.width() + x] = image.sample(x, y, 0);
        }
        return List.of(v);
    }

    @Test
    void skippedStepsAreSkipped() {
        RgbImage image = RgbImage.of(2, 1, new byte[]{0, (byte) 128, (byte) 255, 10, 20, 30});
        PreprocessorConfig nothing = new PreprocessorConfig(false, 336, 0, 0, false, 336, 336, false, 1 / 255.0,
                false, PreprocessorConfig.OPENAI_CLIP_MEAN, PreprocessorConfig.OPENAI_CLIP_STD);
        Tensor raw = new ClipImageProcessor(nothing).preprocess(image, false);
        assertArrayEquals(new int[]{3, 1, 2}, raw.shape());
        assertArrayEquals(new float[]{0, 10, 128, 20, 255, 30}, raw.toFloatArray());
        Tensor rescaled = new ClipImageProcessor(new PreprocessorConfig(false, 336, 0, 0, false, 336, 336, true,
                1 / 255.0, false, PreprocessorConfig.OPENAI_CLIP_MEAN, PreprocessorConfig.OPENAI_CLIP_STD))
                .preprocess(image, false);
        assertEquals((float) (255 * (1 / 255.0)), rescaled.getFloat(2, 0, 0));
        assertEquals((float) (128 * (1 / 255.0)), rescaled.getFloat(1, 0, 0));
    }
}
