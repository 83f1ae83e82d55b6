/*
 * PIL-exact bicubic resize of an RgbImage: `Image.resize((w, h), Image.BICUBIC)` with reducing_gap=None, the
 * call transformers' image_transforms.resize makes for CLIPImageProcessor (docs/methods/llava-numerics.md, "Real LLaVA-1.5
 * preprocessing", step 2; tolerance "PIL-exact bicubic": the uint8 result must be identical).
 *
 * Pillow's ImagingResampleInner, restated:
 *   1. vertical taps first, only to learn which input rows [rowFirst, rowEnd) any output row reads;
 *   2. horizontal pass (when the width changes): each of those input rows convolved with the horizontal
 *      taps into a temporary image of the new width, rounded and clipped to uint8;
 *   3. vertical pass (when the height changes): each output row a weighted sum of temporary rows, rounded and
 *      clipped to uint8 again.
 * The order is always horizontal then vertical, whatever the sizes; the intermediate uint8 rounding is part of
 * the result. Sums are 32-bit ints that start at 2^21 (one half in 22-bit fixed point), as in Pillow.
 * Unchanged size returns the image itself (PIL returns a copy; RgbImage is immutable).
 *
 * Both passes run over rows with dev.perennial.tensor.Parallel: each output row depends only on input rows,
 * so chunks need no coordination and the result does not depend on the thread count.
 */
package dev.perennial.image;

import dev.perennial.tensor.Parallel;

import java.util.Arrays;

/**
 * Pillow-exact bicubic resizing of an {@link RgbImage} (PIL's {@code Image.resize} with {@code BICUBIC}): target sizes
 * in pixels, 8-bit channels, a horizontal then a vertical pass with uint8 rounding in between, as CLIP preprocessing
 * does.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state; within a call, rows
 * are split across Parallel's threads).
 */
public final class BicubicResize {
    private static final int HALF = 1 << (BicubicCoefficients.PRECISION_BITS - 1);

    private BicubicResize() {}

    /** {@code image} resized to {@code width} x {@code height} exactly as Pillow's BICUBIC filter does. */
    public static RgbImage resize(RgbImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size " + width + "x" + height + " must be positive");
        }
        RgbImage.checkedBytes(width, height);
        if (width == image.width() && height == image.height()) return image;

        BicubicCoefficients vertical = BicubicCoefficients.of(image.height(), height);
        int rowFirst = vertical.first[0];
        int rowEnd = vertical.first[height - 1] + vertical.count[height - 1];
        byte[] rows = image.pixels();
        int rowOffset = 0;
        if (width != image.width()) {
            rows = horizontal(image, width, rowFirst, rowEnd);
            rowOffset = rowFirst;
        }
        if (height == image.height()) return RgbImage.wrap(width, height, rows);
        return RgbImage.wrap(width, height, vertical(rows, width, rowOffset, vertical, height));
    }

    /** Input rows [rowFirst, rowEnd) resampled to {@code width}: a (rowEnd - rowFirst) x width image. */
    private static byte[] horizontal(RgbImage image, int width, int rowFirst, int rowEnd) {
        BicubicCoefficients c = BicubicCoefficients.of(image.width(), width);
        byte[] in = image.pixels();
        int inRow = image.width() * 3, outRow = width * 3;
        byte[] out = new byte[(rowEnd - rowFirst) * outRow];
        Parallel.forRows(rowEnd - rowFirst, (long) outRow * c.taps, (start, end) -> {
            for (int y = start; y < end; y++) {
                int src = (rowFirst + y) * inRow, dst = y * outRow;
                for (int x = 0; x < width; x++) {
                    int k = x * c.taps, n = c.count[x];
                    int s = src + c.first[x] * 3;
                    int r = HALF, g = HALF, b = HALF;
                    for (int t = 0; t < n; t++, s += 3) {
                        int w = c.weights[k + t];
                        r += (in[s] & 0xff) * w;
                        g += (in[s + 1] & 0xff) * w;
                        b += (in[s + 2] & 0xff) * w;
                    }
                    out[dst++] = (byte) BicubicCoefficients.clip8(r);
                    out[dst++] = (byte) BicubicCoefficients.clip8(g);
                    out[dst++] = (byte) BicubicCoefficients.clip8(b);
                }
            }
        });
        return out;
    }

    /**
     * Output rows as weighted sums of the rows of {@code in} (width x ?; its row 0 is input row
     * {@code rowOffset}). Channels are independent here, so each row is one flat run of width * 3 sums.
     */
    private static byte[] vertical(byte[] in, int width, int rowOffset, BicubicCoefficients c, int height) {
        int rowLength = width * 3;
        byte[] out = new byte[height * rowLength];
        Parallel.forRows(height, (long) rowLength * c.taps, (start, end) -> {
            int[] sums = new int[rowLength];
            for (int y = start; y < end; y++) {
                Arrays.fill(sums, HALF);
                int k = y * c.taps, n = c.count[y];
                for (int t = 0; t < n; t++) {
                    int w = c.weights[k + t];
                    int src = (c.first[y] - rowOffset + t) * rowLength;
                    for (int i = 0; i < rowLength; i++) sums[i] += (in[src + i] & 0xff) * w;
                }
                int dst = y * rowLength;
                for (int i = 0; i < rowLength; i++) out[dst + i] = (byte) BicubicCoefficients.clip8(sums[i]);
            }
        });
        return out;
    }
}
