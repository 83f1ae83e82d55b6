/*
 * Image preprocessing time (the goal: a 1024x768 JPEG to 336x336 in a few tens of ms after warm-up).
 *
 * stage = decode     ImageDecoder.read of a 1024x768 baseline JPEG (4:2:0, quality 90)
 *         resize     BicubicResize of the decoded image to 448x336 (shortest edge 336)
 *         preprocess ClipImageProcessor (resize, crop, rescale, normalize, CHW) on the decoded image
 *         file       decode + preprocess, what `perennial preprocess` does per image
 * The JPEG is a synthetic photo-like image (smooth gradients, edges, noise) written by javax.imageio.
 * Run: java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main ImagePreprocessBenchmark
 */
package dev.perennial.bench;

import dev.perennial.image.BicubicResize;
import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.ImageDecoder;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.image.RgbImage;
import dev.perennial.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ImagePreprocessBenchmark {

    @Param({"decode", "resize", "preprocess", "file"})
    public String stage;

    Path jpeg;
    RgbImage decoded;
    ClipImageProcessor processor;

    @Setup
    public void setUp() throws IOException {
        int w = 1024, h = 768;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = x * 255 / w, g = y * 255 / h, b = ((x / 64 + y / 64) % 2) * 200 + random.nextInt(40);
                image.setRGB(x, y, r << 16 | g << 8 | Math.min(b, 255));
            }
        }
        jpeg = Files.createTempFile("perennial-bench", ".jpg");
        ImageIO.write(image, "jpeg", jpeg.toFile());
        decoded = ImageDecoder.read(jpeg);
        processor = new ClipImageProcessor(PreprocessorConfig.CLIP_VIT_L_336);
    }

    @TearDown
    public void tearDown() throws IOException {
        Files.deleteIfExists(jpeg);
    }

    @Benchmark
    public Object run() throws IOException {
        switch (stage) {
            case "decode": return ImageDecoder.read(jpeg);
            case "resize": return BicubicResize.resize(decoded, 448, 336);
            case "preprocess": return closed(processor.preprocess(decoded, false));
            default: return closed(processor.preprocess(ImageDecoder.read(jpeg), false));
        }
    }

    private static long closed(Tensor t) {
        long n = t.numel();
        t.close();
        return n;
    }
}
