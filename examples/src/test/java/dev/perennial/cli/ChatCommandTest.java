/*
 * `perennial chat` end to end on the tiny checkpoint in both dialects (random weights: the answer is
 * gibberish, but it must be produced and be deterministic when greedy; the original checkpoint pads the image
 * to a square first, so its answer differs), with the byte-level tokenizer that fits the tiny vocabulary; bad
 * inputs are one line.
 */
package dev.perennial.cli;

import dev.perennial.image.RgbImage;
import dev.perennial.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class ChatCommandTest {
    private static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");

    @TempDir
    Path dir;

    /** The golden preprocessing input image (64x45 RGB) as a PNG. */
    private Path png() throws IOException {
        RgbImage img = RgbImage.fromTensor(Npy.read(GOLDEN.resolve("preprocessing/image_rgb_uint8_up.npy")));
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                bi.setRGB(x, y, (img.sample(x, y, 0) << 16) | (img.sample(x, y, 1) << 8) | img.sample(x, y, 2));
            }
        }
        Path file = dir.resolve("image.png");
        ImageIO.write(bi, "png", file.toFile());
        return file;
    }

    private CliRun chat(String model, Path image, String... extra) {
        boolean ownLimit = java.util.Arrays.asList(extra).contains("--max-new-tokens");
        String[] base = {"chat", "--model", GOLDEN.resolve(model).toString(), "--tokenizer", TOKENIZER.toString(),
                "--image", image.toString(), "--max-new-tokens", ownLimit ? null : "12"};
        if (ownLimit) base = java.util.Arrays.copyOf(base, base.length - 2);
        String[] args = new String[base.length + extra.length + 1];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        args[args.length - 1] = "What is in the picture?";
        return run(args);
    }

    @Test
    void answersOnBothDialects() throws IOException {
        Path image = png();
        CliRun hf = chat("tiny-llava-hf", image);
        assertEquals(0, hf.exitCode(), hf.err());
        assertFalse(hf.out().isBlank(), "an answer is printed");
        assertEquals(hf.out(), chat("tiny-llava-hf", image).out(), "greedy answers are deterministic");
        CliRun orig = chat("tiny-llava-orig", image);
        assertEquals(0, orig.exitCode(), orig.err());
        // same weights, but the original checkpoint pads the 64x45 image to a square first: the pixels differ,
        // so only the shape of the output is compared, not the text
        assertFalse(orig.out().isBlank(), "an answer is printed");
        CliRun sampled = chat("tiny-llava-hf", image, "--temperature", "1.0", "--seed", "3", "--template", "llava_v1");
        assertEquals(0, sampled.exitCode(), sampled.err());
    }

    @Test
    void badInputsAreOneLine() throws IOException {
        CliRun missing = chat("tiny-llava-hf", dir.resolve("nope.jpg"));
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.errLines().size(), missing.err());
        Path notImage = Files.writeString(dir.resolve("x.png"), "not a png");
        CliRun broken = chat("tiny-llava-hf", notImage);
        assertEquals(1, broken.exitCode());
        assertTrue(broken.err().contains(notImage.toString()), broken.err());
        CliRun template = chat("tiny-llava-hf", png(), "--template", "chatml");
        assertEquals(1, template.exitCode());
        assertTrue(template.err().contains("chatml"), template.err());
    }

    @Test
    void maxNewTokensBeyondTheContextIsLoweredWithANote() throws IOException {
        // the tiny checkpoint's context is 256 positions; the image alone takes most of them
        CliRun r = chat("tiny-llava-hf", png(), "--max-new-tokens", "100000");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isBlank(), "an answer is printed");
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("lowered to") && r.err().contains("max_position_embeddings 256"), r.err());
        CliRun small = chat("tiny-llava-hf", png());
        assertTrue(small.err().isBlank(), "no note when the request fits: " + small.err());
    }

    /** README's chat command uses the example image shipped in examples/images; it must exist and work. */
    @Test
    void readmesExampleImageIsShippedAndAnswered() throws IOException {
        Path image = Path.of("images/example.png");                    // the examples module's folder
        assertTrue(Files.isRegularFile(image), image.toAbsolutePath().toString());
        assertTrue(Files.readString(Path.of("../README.md")).contains("--image examples/images/example.png"));
        CliRun r = chat("tiny-llava-hf", image);
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isBlank());
    }
}
