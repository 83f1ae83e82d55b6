/*
 * Small image files for the data tests, written with javax.imageio: a valid PNG, a file that is not an image, and
 * a PNG cut in half; and the small CLIP processor (S = 32) that turns them into [3, 32, 32].
 */
package dev.perennial.data;

import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.PreprocessorConfig;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

final class TestImages {
    static final int SIZE = 32;
    static final ClipImageProcessor PROCESSOR = new ClipImageProcessor(PreprocessorConfig.CLIP_VIT_L_336.withSize(SIZE));

    private TestImages() {}

    static Path png(Path file, int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) image.setRGB(x, y, (x * 5) << 16 | (y * 7) << 8 | 90);
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    static Path notAnImage(Path file) throws IOException {
        return Files.writeString(file, "this is not an image");
    }

    static Path truncatedPng(Path file) throws IOException {
        byte[] whole = Files.readAllBytes(png(file, 40, 30));
        return Files.write(file, Arrays.copyOf(whole, whole.length / 2));
    }
}
