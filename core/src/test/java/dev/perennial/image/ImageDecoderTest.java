/*
 * ImageDecoder against PIL's `Image.open(f).convert("RGB")` (golden/pillow "decode" cases, made by
 * generate.py with the real Pillow), and its failure contract.
 *
 * PNG and GIF decoding is lossless, so every such case must be identical: 8-bit RGB/RGBA/L/LA, palette with
 * and without a transparent index, 1/2/4/16-bit grey (16-bit grey clipped at 255 like PIL's mode I), 16-bit
 * RGB/RGBA/LA (high byte), and grey and RGB PNGs with a tRNS chunk (javax.imageio adds an alpha band there;
 * PIL ignores the transparency, and still clips 16-bit grey). JPEG decoding is not specified to the bit: PIL uses libjpeg-turbo, javax.imageio
 * its own IJG-6b-derived decoder; both use the islow IDCT and "fancy" chroma upsampling, and they are allowed
 * to differ by 1 level per sample (JPEG_TOLERANCE); the measured maximum is printed. The EXIF-rotated JPEG
 * must keep its stored orientation, and the Adobe CMYK JPEG must go through PIL's naive CMYK -> RGB formula.
 *
 * Failures: missing file, folder, empty file, not an image, truncated JPEG (javax.imageio only warns and
 * fills grey), truncated PNG, corrupt PNG (bad CRC), and a PNG header claiming more pixels than PIL's
 * decompression-bomb limit each give an ImageDecodeException naming the file and the reason.
 */
package dev.perennial.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.perennial.image.ImageDecodeException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {
    /** Largest per-sample difference allowed between javax.imageio's and libjpeg-turbo's JPEG decoding. */
    static final int JPEG_TOLERANCE = 1;

    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return ImageGoldens.pillowCases("decode").stream().map(c -> Arguments.of(c.get("name").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void convertsLikePil(String name, JsonNode c) throws IOException {
        Path file = ImageGoldens.PILLOW.resolve(c.get("file").asText());
        RgbImage expected = ImageGoldens.npyImage(ImageGoldens.PILLOW.resolve("decode_" + name + "_rgb.npy"));
        RgbImage got = ImageDecoder.read(file);
        assertEquals(expected.width(), got.width(), "width (no EXIF rotation)");
        assertEquals(expected.height(), got.height(), "height (no EXIF rotation)");
        if (file.toString().endsWith(".jpg")) {
            int diff = ImageGoldens.maxSampleDiff(expected, got);
            System.out.printf("JPEG %s (PIL mode %s): max |javax.imageio - libjpeg-turbo| = %d%n", name,
                    c.get("mode").asText(), diff);
            assertTrue(diff <= JPEG_TOLERANCE, name + ": " + ImageGoldens.describeDifference(expected, got));
        } else {
            assertEquals(expected, got, () -> name + ": " + ImageGoldens.describeDifference(expected, got));
        }
    }

    @Test
    void theGoldenInputImageSurvivesAPngRoundTrip() throws IOException {
        RgbImage image = ImageGoldens.npyImage(ImageGoldens.HF.resolve("image_rgb_uint8_up.npy"));
        java.awt.image.BufferedImage buffered = new java.awt.image.BufferedImage(image.width(), image.height(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                buffered.setRGB(x, y, image.sample(x, y, 0) << 16 | image.sample(x, y, 1) << 8 | image.sample(x, y, 2));
            }
        }
        Path png = dir.resolve("up.png");
        javax.imageio.ImageIO.write(buffered, "png", png.toFile());
        assertEquals(image, ImageDecoder.read(png));
    }

    // ------------------------------------------------------------------------------------------ failures

    private static ImageDecodeException failure(Path file, Reason reason) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(file));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": " + reason), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    @Test
    void missingFileAndFolder() {
        failure(dir.resolve("missing.jpg"), Reason.NOT_FOUND);
        failure(dir, Reason.UNREADABLE);
    }

    @Test
    void emptyFileAndNonImages() throws IOException {
        failure(Files.write(dir.resolve("empty.png"), new byte[0]), Reason.UNKNOWN_FORMAT);
        failure(Files.writeString(dir.resolve("text.jpg"), "not an image\n"), Reason.UNKNOWN_FORMAT);
    }

    @Test
    void truncatedJpegIsReportedNotFilledWithGrey() throws IOException {
        byte[] jpeg = Files.readAllBytes(ImageGoldens.PILLOW.resolve("decode_rgb444.jpg"));
        ImageDecodeException e = failure(Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2)),
                Reason.DAMAGED);
        assertTrue(e.getMessage().toLowerCase().contains("premature end") || e.getMessage().contains("EOI"), e.getMessage());
    }

    @Test
    void truncatedAndCorruptPng() throws IOException {
        byte[] png = Files.readAllBytes(ImageGoldens.PILLOW.resolve("resize_in_down.png"));
        failure(Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2)), Reason.DAMAGED);
        byte[] flipped = png.clone();
        flipped[png.length / 2] ^= 0x55;   // inside the IDAT data: the chunk CRC no longer matches
        failure(Files.write(dir.resolve("flipped.png"), flipped), Reason.DAMAGED);
    }

    @Test
    void decompressionBombsAreRefusedBeforeDecoding() throws IOException {
        // a valid PNG signature and IHDR for 20000 x 20000 RGB (400 M pixels), then an empty IDAT and IEND
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(20000).putInt(20000).put((byte) 8).put((byte) 2).array());
        chunk(png, "IDAT", new byte[0]);
        chunk(png, "IEND", new byte[0]);
        ImageDecodeException e = failure(Files.write(dir.resolve("bomb.png"), png.toByteArray()), Reason.TOO_LARGE);
        assertTrue(e.getMessage().contains("20000x20000"), e.getMessage());
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] body) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(body.length).array());
        out.write(t);
        out.write(body);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(body);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
