/*
 * An 8-bit RGB image: height x width x 3 bytes, row-major, channels last (HWC), like a NumPy uint8 array of a
 * PIL "RGB" image. Every step of the CLIP preprocessing before rescaling works on this type
 * (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing": convert to RGB, resize, crop, all on uint8).
 *
 * The pixels live in a Java byte[] rather than an off-heap Storage: images are small (a 1024x768 photo is
 * 2.4 MB), the resize loops index them directly, and nothing native reads them. toTensor()/fromTensor()
 * convert to and from a U8 Tensor [H, W, 3] (the layout of the golden .npy files).
 *
 * Instances are immutable: the constructor copies, accessors never expose the array, and the package's own
 * operations hand over freshly filled arrays without a copy (wrap()).
 */
package dev.perennial.image;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.Arrays;

/**
 * An 8-bit RGB image of height x width x 3 bytes, row-major and channels last (like a NumPy uint8 array of a PIL
 * "RGB" image), the type every CLIP preprocessing step before rescaling works on; {@code toTensor} gives a U8 tensor
 * {@code [H, W, 3]}.
 * <p>Immutable; safe to share between threads: the pixels are a private final array, copied on the way in and out and
 * never modified after construction.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] pixels;   // [height][width][3]

    private RgbImage(int width, int height, byte[] pixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size " + width + "x" + height + " must be positive");
        }
        if ((long) width * height * 3 != pixels.length) {
            throw new IllegalArgumentException(pixels.length + " bytes do not hold a " + width + "x" + height + " RGB image");
        }
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    /** An image holding a copy of {@code rgb} (HWC, 3 bytes per pixel, row-major). */
    public static RgbImage of(int width, int height, byte[] rgb) {
        return new RgbImage(width, height, rgb.clone());
    }

    /** Takes ownership of {@code rgb}: only for arrays that nothing else refers to. */
    static RgbImage wrap(int width, int height, byte[] rgb) {
        return new RgbImage(width, height, rgb);
    }

    /** Bytes for a width x height RGB image, refusing sizes a Java array cannot hold. */
    static int checkedBytes(int width, int height) {
        long n = (long) width * height * 3;
        if (width <= 0 || height <= 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot hold a " + width + "x" + height + " RGB image in one array");
        }
        return (int) n;
    }

    /** A U8 tensor [H, W, 3]. */
    public static RgbImage fromTensor(Tensor t) {
        if (t.dtype() != DType.U8 || t.rank() != 3 || t.size(2) != 3) {
            throw new IllegalArgumentException("need a U8 tensor [H, W, 3], got " + t);
        }
        byte[] rgb = new byte[checkedBytes(t.size(1), t.size(0))];
        Tensor c = t.contiguous();
        c.storage().bytes().position(c.offset()).get(rgb);
        return new RgbImage(t.size(1), t.size(0), rgb);
    }

    public int width() { return width; }

    public int height() { return height; }

    /** Component {@code channel} (0 = red, 1 = green, 2 = blue) of pixel (x, y), 0..255. */
    public int sample(int x, int y, int channel) {
        if (x < 0 || x >= width || y < 0 || y >= height || channel < 0 || channel > 2) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ", " + channel + ") outside " + this);
        }
        return pixels[(y * width + x) * 3 + channel] & 0xff;
    }

    /** A copy of the pixels, HWC. */
    public byte[] toByteArray() { return pixels.clone(); }

    /** The pixels as a new U8 tensor [H, W, 3]. */
    public Tensor toTensor() {
        Tensor t = Tensor.empty(DType.U8, height, width, 3);
        t.storage().bytes().put(pixels);
        return t;
    }

    /** The backing array, for this package's loops only (never modified after construction). */
    byte[] pixels() { return pixels; }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage r && r.width == width && r.height == height && Arrays.equals(r.pixels, pixels);
    }

    @Override
    public int hashCode() { return 31 * (31 * width + height) + Arrays.hashCode(pixels); }

    @Override
    public String toString() { return "RgbImage[" + width + "x" + height + "]"; }
}
