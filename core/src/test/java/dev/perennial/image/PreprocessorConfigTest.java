/*
 * PreprocessorConfig.load on the spellings of preprocessor_config.json that exist: the tiny golden model's
 * (current transformers layout), the old feature-extractor layout of the real openai/clip-vit-large-patch14-336
 * file (integer size and crop_size), a fixed {"height", "width"} size, absent keys (the 336 defaults), and the
 * files that must be refused with a message naming the file: another resample filter, a size dict without a
 * known key, a wrong type, and text that is not JSON.
 */
package dev.perennial.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessorConfigTest {
    @TempDir
    Path dir;

    private PreprocessorConfig load(String json) throws IOException {
        return PreprocessorConfig.load(Files.writeString(dir.resolve("preprocessor_config.json"), json));
    }

    @Test
    void theTinyModelsConfig() throws IOException {
        PreprocessorConfig c = PreprocessorConfig.load(
                ImageGoldens.GOLDEN.resolve("tiny-llava-orig/vision_tower/preprocessor_config.json"));
        assertEquals(PreprocessorConfig.CLIP_VIT_L_336.withSize(30), c);
    }

    @Test
    void theOldFeatureExtractorLayoutOfTheRealClip336File() throws IOException {
        PreprocessorConfig c = load("""
                {"crop_size": 336, "do_center_crop": true, "do_normalize": true, "do_resize": true,
                 "feature_extractor_type": "CLIPFeatureExtractor",
                 "image_mean": [0.48145466, 0.4578275, 0.40821073],
                 "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 336}""");
        assertEquals(PreprocessorConfig.CLIP_VIT_L_336, c);
        assertEquals(0.00392156862745098, c.rescaleFactor());
    }

    @Test
    void absentKeysTakeTheClip336ValuesAndScalarsApplyToEveryChannel() throws IOException {
        assertEquals(PreprocessorConfig.CLIP_VIT_L_336, load("{}"));
        PreprocessorConfig c = load("""
                {"size": {"height": 40, "width": 50}, "crop_size": {"height": 20, "width": 30},
                 "image_mean": 0.5, "image_std": 0.25, "do_rescale": false}""");
        assertEquals(List.of(0, 40, 50, 20, 30), List.of(c.shortestEdge(), c.resizeHeight(), c.resizeWidth(),
                c.cropHeight(), c.cropWidth()));
        assertEquals(List.of(0.5, 0.5, 0.5), c.imageMean());
        assertEquals(List.of(0.25, 0.25, 0.25), c.imageStd());
        assertFalse(c.doRescale());
        // a fixed size resizes to exactly that, whatever the aspect ratio
        assertArrayEquals(new int[]{3, 20, 30}, new ClipImageProcessor(c).preprocess(RgbImage.of(7, 3, new byte[63]), false).shape());
    }

    @Test
    void refusedFilesNameTheFileAndTheProblem() {
        for (String[] bad : new String[][]{
                {"{\"resample\": 2}", "resample 2 is not supported"},
                {"{\"size\": {\"longest_edge\": 10}}", "size must contain shortest_edge or height and width"},
                {"{\"do_resize\": \"yes\"}", "do_resize must be true or false"},
                {"{\"image_mean\": [0.5, 0.5]}", "image_mean must be a number or 3 numbers"},
                {"{\"size\": 0}", "need either a positive shortest edge"},
                {"[1, 2]", "not a JSON object"},
                {"{\"size\": ", "not valid JSON"}}) {
            IOException e = assertThrows(IOException.class, () -> load(bad[0]), bad[0]);
            assertTrue(e.getMessage().startsWith(dir.resolve("preprocessor_config.json") + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
