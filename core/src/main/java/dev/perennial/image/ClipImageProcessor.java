/*
 * transformers' CLIPImageProcessor for one image, and LLaVA-1.5's pad-to-square path in front of it
 * (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and prompt facts"; tolerance 1e-6, met exactly):
 *   1. (LLaVA "pad" only) expand2square with the background int(mean * 255)         PadToSquare
 *   2. resize, shortest edge to S: long = int(S * long / short), PIL bicubic on uint8   BicubicResize
 *   3. center crop, top = (h - cropH) // 2, left = (w - cropW) // 2                     CenterCrop
 *   4. rescale: float32(uint8 * rescale_factor), the product taken in float64
 *   5. normalize in float32: (x - float32(mean)) / float32(std)
 *   6. HWC -> CHW: a float32 Tensor [3, cropH, cropW]; callers add the batch dimension (unsqueeze(0)).
 * Each do_* flag skips its step as in transformers. Steps 4-6 depend only on (channel, uint8 value), so
 * they are a 3 x 256 lookup table computed once per processor, with the same float64/float32 operations
 * NumPy performs; the output is bit-identical to transformers given the same resized pixels.
 *
 * Without do_rescale the uint8 values enter normalize as they are (transformers casts them to float32);
 * with neither rescale nor normalize the output is the uint8 values as float32 (transformers would keep
 * uint8 there; this class always returns float32).
 */
package dev.perennial.image;

import dev.perennial.tensor.Tensor;

/**
 * transformers' {@code CLIPImageProcessor} for one image, optionally after LLaVA-1.5's pad-to-square: resize,
 * center crop, rescale and normalize an 8-bit RGB image into float32 pixel values {@code [3, cropH, cropW]}
 * (channels first; callers add the batch dimension), bit-identical to transformers for the same resized pixels.
 * <p>Immutable after construction; safe to share between threads: its config is an immutable record and its
 * {@code [3][256]} lookup table is filled by the constructor and only read afterwards.
 */
public final class ClipImageProcessor {
    private final PreprocessorConfig config;
    private final float[][] lookup = new float[3][256];

    public ClipImageProcessor(PreprocessorConfig config) {
        this.config = config;
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean().get(c).floatValue(), std = config.imageStd().get(c).floatValue();
            for (int v = 0; v < 256; v++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : v;
                lookup[c][v] = config.doNormalize() ? (x - mean) / std : x;
            }
        }
    }

    public PreprocessorConfig config() { return config; }

    /**
     * The pixel values for {@code image}: float32 [3, cropH, cropW] (or the resized size without center crop).
     * With {@code padToSquare} the image is first padded like LLaVA-1.5's image_aspect_ratio = "pad".
     */
    public Tensor preprocess(RgbImage image, boolean padToSquare) {
        RgbImage x = padToSquare ? PadToSquare.apply(image, PadToSquare.background(mean())) : image;
        if (config.doResize()) {
            int[] hw = resizedSize(x.height(), x.width());
            x = BicubicResize.resize(x, hw[1], hw[0]);
        }
        if (config.doCenterCrop()) x = CenterCrop.apply(x, config.cropWidth(), config.cropHeight());
        return toTensor(x);
    }

    /** {height, width} after the resize step for an input of {@code height} x {@code width}. */
    int[] resizedSize(int height, int width) {
        if (config.shortestEdge() == 0) return new int[]{config.resizeHeight(), config.resizeWidth()};
        long s = config.shortestEdge();
        int shorter = Math.min(width, height), longer = Math.max(width, height);
        int newLong = (int) ((double) (s * longer) / shorter);   // Python int(S * long / short)
        return width <= height ? new int[]{newLong, (int) s} : new int[]{(int) s, newLong};
    }

    private double[] mean() {
        return config.imageMean().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Rescale, normalize and HWC -> CHW through the lookup table. */
    private Tensor toTensor(RgbImage image) {
        int h = image.height(), w = image.width(), plane = h * w;
        byte[] in = image.pixels();
        float[] out = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            float[] table = lookup[c];
            for (int p = 0, i = c; p < plane; p++, i += 3) out[c * plane + p] = table[in[i] & 0xff];
        }
        return Tensor.of(out, 3, h, w);
    }
}
