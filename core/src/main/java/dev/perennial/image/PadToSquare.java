/*
 * LLaVA-1.5's expand2square (llava/mm_utils.py, used when image_aspect_ratio = "pad"; docs/methods/llava-numerics.md,
 * "Real LLaVA-1.5 preprocessing"): the image pasted on a max(w, h) square at ((side - w) // 2, (side - h) // 2), the rest
 * filled with the background colour tuple(int(x * 255) for x in image_mean) = (122, 116, 104) for CLIP's mean.
 * A square image is returned unchanged. The CLIP processor then runs on the square as usual.
 */
package dev.perennial.image;

/**
 * LLaVA-1.5's {@code expand2square}: an {@link RgbImage} centred on a square of side max(width, height) pixels, the
 * rest filled with a background colour (0..255 per channel; {@code background} derives it from the processor's mean).
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class PadToSquare {
    private PadToSquare() {}

    /** LLaVA's background colour for a processor mean: int(m * 255) per channel (truncated, as Python's int()). */
    public static int[] background(double[] imageMean) {
        if (imageMean.length != 3) throw new IllegalArgumentException("need 3 mean values, got " + imageMean.length);
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) {
            rgb[c] = (int) (imageMean[c] * 255);
            if (rgb[c] < 0 || rgb[c] > 255) throw new IllegalArgumentException("mean " + imageMean[c] + " is outside [0, 1]");
        }
        return rgb;
    }

    /** {@code image} centred on a square of {@code background} (three components 0..255). */
    public static RgbImage apply(RgbImage image, int[] background) {
        if (background.length != 3) throw new IllegalArgumentException("need 3 background components");
        int w = image.width(), h = image.height();
        if (w == h) return image;
        int side = Math.max(w, h), left = (side - w) / 2, top = (side - h) / 2;
        byte[] out = new byte[RgbImage.checkedBytes(side, side)];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = (byte) background[0];
            out[i + 1] = (byte) background[1];
            out[i + 2] = (byte) background[2];
        }
        byte[] in = image.pixels();
        for (int y = 0; y < h; y++) {
            System.arraycopy(in, y * w * 3, out, ((y + top) * side + left) * 3, w * 3);
        }
        return RgbImage.wrap(side, side, out);
    }
}
