/*
 * `perennial preprocess --image FILE [--pad-to-square] [--size S] [--config preprocessor_config.json] --out F.npy`:
 * the pixel values LLaVA-1.5 feeds its vision tower for one image file, as a float32 .npy [1, 3, S, S]
 * (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing"). Without --config the openai/clip-vit-large-patch14-336
 * settings are used; --size replaces the shortest edge and the crop; --pad-to-square adds LLaVA's
 * expand2square (image_aspect_ratio "pad", the original LLaVA path) in front of the CLIP processor.
 * Prints one line saying what was written.
 */
package dev.perennial.cli;

import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.ImageDecoder;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.image.RgbImage;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Turn an image into LLaVA-1.5 pixel values (CLIPImageProcessor), written as a float32 .npy [1, 3, S, S].")
final class PreprocessCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "A JPEG, PNG, GIF or BMP image.")
    Path image;

    @Option(names = "--pad-to-square", description = "Pad to a square first, as original LLaVA-1.5 does (image_aspect_ratio pad).")
    boolean padToSquare;

    @Option(names = "--size", paramLabel = "S", description = "Shortest edge and square crop (default: the config's, 336).")
    Integer size;

    @Option(names = "--config", paramLabel = "JSON", description = "A preprocessor_config.json (default: openai/clip-vit-large-patch14-336).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "F.npy", description = "Where to write the pixel values.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PreprocessorConfig settings = config == null ? PreprocessorConfig.CLIP_VIT_L_336 : PreprocessorConfig.load(config);
        if (size != null) settings = settings.withSize(size);
        RgbImage rgb = ImageDecoder.read(image);
        try (Tensor pixels = new ClipImageProcessor(settings).preprocess(rgb, padToSquare)) {
            Tensor batch = pixels.unsqueeze(0);
            Npy.write(out, batch);
            spec.commandLine().getOut().printf("%s: float32 %s from %s (%dx%d)%s%n", out, Arrays.toString(batch.shape()),
                    image, rgb.width(), rgb.height(), padToSquare ? ", padded to a square" : "");
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
