/*
 * The settings of transformers' CLIPImageProcessor, read from a checkpoint's preprocessor_config.json
 * (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing": CLIPImageProcessor with the values of
 * openai/clip-vit-large-patch14-336, which are the defaults here: shortest edge 336, crop 336 x 336,
 * rescale 1/255, OpenAI CLIP mean/std).
 *
 * Both spellings that exist in the wild are read: the current one ("size": {"shortest_edge": 336},
 * "crop_size": {"height": 336, "width": 336}) and the old feature-extractor one that the real
 * openai/clip-vit-large-patch14-336 file uses ("size": 336, "crop_size": 336). As in CLIPImageProcessor
 * (get_size_dict with default_to_square=False), an integer size is a shortest edge, and {"height", "width"}
 * resizes to exactly that size. A scalar image_mean/image_std applies to all three channels. Keys that are
 * absent take the defaults above; keys this processor does not use are ignored, as transformers does.
 * "resample" must be 3 (PIL BICUBIC), the only filter implemented. do_convert_rgb is not kept: decoded images
 * are always RGB (ImageDecoder), which is what do_convert_rgb = true gives and what false gives for RGB files.
 */
package dev.perennial.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The image preprocessing of a checkpoint as preprocessor_config.json gives it (resize, center crop, rescale,
 * normalise).
 * <p>Immutable; safe to share between threads (the mean and std lists are immutable copies).
 *
 * @param shortestEdge  resize so the shorter side is this long (0 when resizeHeight/resizeWidth are used)
 * @param resizeHeight  fixed output height of the resize (0 with a shortest edge)
 * @param resizeWidth   fixed output width of the resize (0 with a shortest edge)
 * @param imageMean     per-channel mean (R, G, B) subtracted after rescaling
 * @param imageStd      per-channel standard deviation (R, G, B) divided by after subtracting the mean
 */
public record PreprocessorConfig(boolean doResize, int shortestEdge, int resizeHeight, int resizeWidth,
                                 boolean doCenterCrop, int cropHeight, int cropWidth,
                                 boolean doRescale, double rescaleFactor,
                                 boolean doNormalize, List<Double> imageMean, List<Double> imageStd) {

    /** transformers' OPENAI_CLIP_MEAN and OPENAI_CLIP_STD (utils/constants.py). */
    public static final List<Double> OPENAI_CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    public static final List<Double> OPENAI_CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);
    /** PIL's Image.BICUBIC, the value of "resample" in every CLIP preprocessor_config.json. */
    public static final int PIL_BICUBIC = 3;

    /** openai/clip-vit-large-patch14-336, the vision tower of LLaVA-1.5. */
    public static final PreprocessorConfig CLIP_VIT_L_336 = new PreprocessorConfig(true, 336, 0, 0, true, 336, 336,
            true, 1 / 255.0, true, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD);

    public PreprocessorConfig {
        boolean byEdge = shortestEdge > 0 && resizeHeight == 0 && resizeWidth == 0;
        boolean bySize = shortestEdge == 0 && resizeHeight > 0 && resizeWidth > 0;
        if (!byEdge && !bySize) {
            throw new IllegalArgumentException("need either a positive shortest edge or a positive height and width,"
                    + " got shortest edge " + shortestEdge + ", " + resizeHeight + "x" + resizeWidth);
        }
        if (cropHeight <= 0 || cropWidth <= 0) {
            throw new IllegalArgumentException("crop size " + cropHeight + "x" + cropWidth + " must be positive");
        }
        imageMean = List.copyOf(imageMean);
        imageStd = List.copyOf(imageStd);
        if (imageMean.size() != 3 || imageStd.size() != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values, got " + imageMean + " and " + imageStd);
        }
    }

    /** This configuration with shortest edge and a square crop of {@code size} (LLaVA's --size knob). */
    public PreprocessorConfig withSize(int size) {
        return new PreprocessorConfig(doResize, size, 0, 0, doCenterCrop, size, size, doRescale, rescaleFactor,
                doNormalize, imageMean, imageStd);
    }

    /** Reads a preprocessor_config.json; absent keys take the CLIP_VIT_L_336 values. */
    public static PreprocessorConfig load(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": not a JSON object");
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static PreprocessorConfig fromJson(JsonNode root) {
        PreprocessorConfig d = CLIP_VIT_L_336;
        int resample = integer(root, "resample", PIL_BICUBIC);
        if (resample != PIL_BICUBIC) {
            throw new IllegalArgumentException("resample " + resample + " is not supported; only 3 (PIL BICUBIC) is");
        }
        int shortest = d.shortestEdge, height = 0, width = 0;
        JsonNode size = root.get("size");
        if (size != null && size.isObject()) {
            if (size.has("shortest_edge")) {
                shortest = integer(size, "shortest_edge", 0);
            } else if (size.has("height") && size.has("width")) {
                shortest = 0;
                height = integer(size, "height", 0);
                width = integer(size, "width", 0);
            } else {
                throw new IllegalArgumentException("size must contain shortest_edge or height and width: " + size);
            }
        } else if (size != null) {
            shortest = integer(root, "size", 0);
        }
        int cropHeight = d.cropHeight, cropWidth = d.cropWidth;
        JsonNode crop = root.get("crop_size");
        if (crop != null && crop.isObject()) {
            cropHeight = integer(crop, "height", 0);
            cropWidth = integer(crop, "width", 0);
        } else if (crop != null) {
            cropHeight = cropWidth = integer(root, "crop_size", 0);
        }
        return new PreprocessorConfig(flag(root, "do_resize", d.doResize), shortest, height, width,
                flag(root, "do_center_crop", d.doCenterCrop), cropHeight, cropWidth,
                flag(root, "do_rescale", d.doRescale), number(root, "rescale_factor", d.rescaleFactor),
                flag(root, "do_normalize", d.doNormalize),
                perChannel(root, "image_mean", d.imageMean), perChannel(root, "image_std", d.imageStd));
    }

    private static int integer(JsonNode parent, String key, int absent) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) return absent;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.intValue();
    }

    private static boolean flag(JsonNode root, String key, boolean absent) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return absent;
        if (!v.isBoolean()) throw new IllegalArgumentException(key + " must be true or false, got " + v);
        return v.booleanValue();
    }

    private static double number(JsonNode root, String key, double absent) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return absent;
        if (!v.isNumber()) throw new IllegalArgumentException(key + " must be a number, got " + v);
        return v.doubleValue();
    }

    private static List<Double> perChannel(JsonNode root, String key, List<Double> absent) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return absent;
        if (v.isNumber()) return List.of(v.doubleValue(), v.doubleValue(), v.doubleValue());
        if (!v.isArray() || v.size() != 3) throw new IllegalArgumentException(key + " must be a number or 3 numbers, got " + v);
        Double[] values = new Double[3];
        for (int c = 0; c < 3; c++) values[c] = element(v, c, key);
        return List.of(values);
    }

    private static double element(JsonNode array, int index, String key) {
        JsonNode v = array.get(index);
        if (!v.isNumber()) throw new IllegalArgumentException(key + " must hold numbers, got " + array);
        return v.doubleValue();
    }
}
