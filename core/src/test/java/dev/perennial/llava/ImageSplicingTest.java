/*
 * Image splicing beyond the golden's single image: several images in one sample (each marker takes the next
 * image, in order, across the batch), both marker forms, label masking, positions, and count mismatches.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class ImageSplicingTest {
    static final Backend BE = new CpuBackend();
    static LlavaModel model;
    static Tensor images;       // [3, 3, 30, 30]: the golden image, half of it, its negation

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(Goldens.tinyHf());
        Tensor p = npy("pixel_values");
        images = BE.concat(List.of(p, BE.scale(p, 0.5f), BE.scale(p, -1f)), 0);
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    @Test
    void markersTakeImagesInOrderAcrossTheBatch() {
        Tensor features = model.imageFeatures(BE, images);                       // [3, 25, 64]
        long[] first = {1, 5, 300, 6, -200, 7};                                    // two images, both marker forms
        long[] second = {1, 300, 8};
        long[] labels1 = {-100, 5, 300, 6, -200, 7}, labels2 = {-100, 300, 8};
        MergedInputs in = model.merge(BE, List.of(first, second), features, List.of(labels1, labels2), false);
        assertArrayEquals(new int[]{4 + 50, 2 + 25}, in.lengths());
        Tensor row = in.embeds().select(0, 0);                                    // [54, 64]
        assertEquals(0.0, maxAbsDiff(row.narrow(0, 2, 25), features.select(0, 0)));
        assertEquals(0.0, maxAbsDiff(row.narrow(0, 28, 25), features.select(0, 1)));
        assertEquals(0.0, maxAbsDiff(in.embeds().select(0, 1).narrow(0, 1, 25), features.select(0, 2)));
        assertEquals(0.0, maxAbsDiff(row.narrow(0, 27, 1), model.decoder().embed(BE, Tensor.ofLongs(new long[]{6}, 1))));
        long[] lab = in.labels().select(0, 0).toLongArray();
        for (int i = 2; i < 27; i++) assertEquals(-100, lab[i]);
        for (int i = 28; i < 53; i++) assertEquals(-100, lab[i]);
        assertEquals(6, lab[27]);
        assertEquals(7, lab[53]);
        long[] pos = in.positions().select(0, 1).toLongArray();
        for (int i = 0; i < 27; i++) assertEquals(i, pos[i]);
        for (int i = 27; i < 54; i++) assertEquals(0, pos[i]);                     // right padding
        assertFalse(in.valid()[1][27]);
        long[] padLabels = in.labels().select(0, 1).toLongArray();
        for (int i = 27; i < 54; i++) assertEquals(-100, padLabels[i]);
    }

    @Test
    void imageCountMustMatchMarkers() {
        Tensor features = model.imageFeatures(BE, images);
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> model.merge(BE, List.of(new long[]{1, 300, 300, 300, 300}), features, null, false));
        assertTrue(tooFew.getMessage().contains("more image markers"), tooFew.getMessage());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> model.merge(BE, List.of(new long[]{1, 300}), features, null, false));
        assertTrue(tooMany.getMessage().contains("3 images given but 1"), tooMany.getMessage());
    }
}
