/*
 * ImageStore: images load into [3, S, S] through the processor; every way out of the root (absolute path, "..",
 * a symbolic link to a file or folder outside) is refused before anything is read, while links inside the root
 * work; missing, non-image and truncated files are typed results counted per reason, also when many threads load
 * at once, and summary() reports them.
 */
package dev.perennial.data;

import dev.perennial.image.ImageDecodeException.Reason;
import dev.perennial.image.ImageDecoder;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageStoreTest {
    @TempDir
    Path dir;

    private ImageStore store() throws IOException {
        return new ImageStore(Files.createDirectories(dir.resolve("root")), TestImages.PROCESSOR, true);
    }

    @Test
    void loadsAndPreprocessesAnImage() throws IOException {
        ImageStore store = store();
        Path file = TestImages.png(dir.resolve("root/coco/a.png"), 48, 20);
        Tensor pixels = ((ImageLoad.Loaded) store.load("coco/a.png")).pixels();
        assertArrayEquals(new int[]{3, TestImages.SIZE, TestImages.SIZE}, pixels.shape());
        assertArrayEquals(TestImages.PROCESSOR.preprocess(ImageDecoder.read(file), true).toFloatArray(), pixels.toFloatArray());
        assertEquals(1, store.loadedCount());
        assertEquals(file.toRealPath(), store.resolve("./coco//a.png"));
    }

    @Test
    void pathsLeavingTheRootAreRefused() throws IOException {
        ImageStore store = store();
        Path outside = TestImages.png(dir.resolve("secret.png"), 8, 8);
        Files.createDirectories(dir.resolve("outside"));
        TestImages.png(dir.resolve("outside/b.png"), 8, 8);
        Files.createSymbolicLink(dir.resolve("root/link.png"), outside);
        Files.createSymbolicLink(dir.resolve("root/linkdir"), dir.resolve("outside"));
        for (String path : List.of("../secret.png", "coco/../../secret.png", outside.toString(), "link.png", "linkdir/b.png", "", "..")) {
            ImagePathException e = assertThrows(ImagePathException.class, () -> store.load(path), path);
            assertEquals(path, e.imagePath());
            assertTrue(e.getMessage().startsWith("image path \"" + path + "\" is refused: "), e.getMessage());
        }
        assertTrue(assertThrows(ImagePathException.class, () -> store.load("link.png")).getMessage().contains("symbolic link"));
        assertEquals(0, store.loadedCount() + store.missingCount() + store.corruptCount());

        TestImages.png(dir.resolve("root/real/c.png"), 8, 8);
        Files.createSymbolicLink(dir.resolve("root/inside.png"), dir.resolve("root/real/c.png"));
        assertInstanceOf(ImageLoad.Loaded.class, store.load("inside.png"));
    }

    @Test
    void missingAndCorruptImagesAreCountedByReason() throws IOException {
        ImageStore store = store();
        TestImages.png(dir.resolve("root/ok.png"), 10, 10);
        TestImages.notAnImage(dir.resolve("root/text.jpg"));
        TestImages.truncatedPng(dir.resolve("root/half.png"));
        IntStream.range(0, 400).parallel().forEach(i -> {
            try {
                String path = List.of("ok.png", "gone.jpg", "text.jpg", "half.png").get(i % 4);
                ImageLoad load = store.load(path);
                if (!path.equals("ok.png")) assertInstanceOf(ImageLoad.Failed.class, load, path);
            } catch (ImagePathException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(100, store.loadedCount());
        assertEquals(100, store.missingCount());
        assertEquals(100, store.failedCount(Reason.UNKNOWN_FORMAT));
        assertEquals(100, store.failedCount(Reason.DAMAGED));
        assertEquals(200, store.corruptCount());
        assertEquals("100 images loaded, 100 missing, 200 corrupt (100 not a supported image format, 100 truncated or corrupt image data)",
                store.summary());
        ImageLoad.Failed gone = (ImageLoad.Failed) store.load("gone.jpg");
        assertEquals(Reason.NOT_FOUND, gone.error().reason());
        assertEquals(dir.resolve("root/gone.jpg").toAbsolutePath(), gone.error().file());
    }

    @Test
    void theRootMustBeAFolder() {
        assertThrows(IOException.class, () -> new ImageStore(dir.resolve("nothing"), TestImages.PROCESSOR, false));
    }
}
