/*
 * transformers' image_transforms.center_crop on a uint8 image (docs/methods/llava-numerics.md, "Real LLaVA-1.5
 * preprocessing", step 3): top = (h - cropHeight) // 2, left = (w - cropWidth) // 2, Python floor division.
 *
 * When the image is smaller than the crop in a dimension, transformers first zero-pads it, putting
 * ceil(missing / 2) pixels before it, and then crops. That is the same as letting top/left go negative with
 * floor division and filling everything outside the image with 0 (black, before rescaling and normalising),
 * which is what this does. With the CLIP settings (crop = shortest edge after resizing) padding never happens;
 * it only matters for configurations whose crop is larger than the resized image.
 */
package dev.perennial.image;

/**
 * transformers' {@code center_crop} of an {@link RgbImage}: the centred width x height window (in pixels), with zero
 * (black) pixels where the window extends past the image.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class CenterCrop {
    private CenterCrop() {}

    /** The centred {@code width} x {@code height} window of {@code image}, zero outside the image. */
    public static RgbImage apply(RgbImage image, int width, int height) {
        if (width == image.width() && height == image.height()) return image;
        int top = Math.floorDiv(image.height() - height, 2), left = Math.floorDiv(image.width() - width, 2);
        byte[] in = image.pixels();
        byte[] out = new byte[RgbImage.checkedBytes(width, height)];
        int x0 = Math.max(0, -left), x1 = Math.min(width, image.width() - left);
        for (int y = Math.max(0, -top); y < Math.min(height, image.height() - top); y++) {
            System.arraycopy(in, ((y + top) * image.width() + x0 + left) * 3, out, (y * width + x0) * 3, (x1 - x0) * 3);
        }
        return RgbImage.wrap(width, height, out);
    }
}
