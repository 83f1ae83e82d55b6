/*
 * RgbImage: the U8 [H, W, 3] tensor conversion both ways (the layout of the golden .npy files, HWC),
 * sample indexing, immutability (copies in and out), and refusal of sizes and tensors that are not RGB images.
 */
package dev.perennial.image;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RgbImageTest {
    private static final byte[] PIXELS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, (byte) 255};

    @Test
    void tensorRoundTripKeepsTheHwcLayout() {
        RgbImage image = RgbImage.of(3, 2, PIXELS);
        try (Tensor t = image.toTensor()) {
            assertEquals(DType.U8, t.dtype());
            assertArrayEquals(new int[]{2, 3, 3}, t.shape());
            assertEquals(14, t.getLong(1, 1, 1));     // row 1, column 1, green
            assertEquals(255, t.getLong(1, 2, 2));
            assertEquals(image, RgbImage.fromTensor(t));
            assertEquals(RgbImage.of(2, 3, new byte[]{1, 2, 3, 10, 11, 12, 4, 5, 6, 13, 14, 15, 7, 8, 9, 16, 17, (byte) 255}),
                    RgbImage.fromTensor(t.transpose(0, 1)), "a non-contiguous view is read in logical order");
        }
        assertEquals(14, image.sample(1, 1, 1));
        assertEquals(255, image.sample(2, 1, 2));
    }

    @Test
    void copiesInAndOut() {
        byte[] pixels = PIXELS.clone();
        RgbImage image = RgbImage.of(3, 2, pixels);
        pixels[0] = 99;
        image.toByteArray()[1] = 99;
        assertEquals(1, image.sample(0, 0, 0));
        assertEquals(2, image.sample(0, 0, 1));
    }

    @Test
    void refusesWhatIsNotAnRgbImage() {
        assertThrows(IllegalArgumentException.class, () -> RgbImage.of(4, 2, PIXELS));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.of(0, 0, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.fromTensor(Tensor.zeros(DType.F32, 2, 3, 3)));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.fromTensor(Tensor.zeros(DType.U8, 2, 3, 4)));
        assertThrows(IndexOutOfBoundsException.class, () -> RgbImage.of(3, 2, PIXELS).sample(3, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> RgbImage.of(3, 2, PIXELS).sample(0, 0, 3));
    }
}
