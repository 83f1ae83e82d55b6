/*
 * An image path in a dataset that would read a file outside the image root: an absolute path, a path that
 * climbs out with "..", or one whose real path (symbolic links followed) lies outside. Unlike a missing or corrupt
 * image (counted, ImageLoad.Failed) this is thrown: LLaVA datasets only hold paths relative to the image folder,
 * so such a path means a crafted or broken dataset, and a run should stop rather than read arbitrary files.
 * (LLaVA's os.path.join(image_folder, image_file) would silently read an absolute path.)
 */
package dev.perennial.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a dataset's image path would read outside the image root (an absolute path, one climbing out with
 * {@code ..}, or a symbolic link leading outside); {@code imagePath()} is the path as written in the dataset. Unlike a
 * missing image, such a path stops the run.
 * <p>Immutable once thrown: its only field is a final string.
 */
public final class ImagePathException extends IOException {
    private final String imagePath;

    ImagePathException(String imagePath, Path root, String detail) {
        super(("image path \"" + imagePath + "\" is refused: " + detail + " (image root " + root + ")")
                .replaceAll("\\p{Cntrl}+", " "));
        this.imagePath = imagePath;
    }

    /** The path as written in the dataset. */
    public String imagePath() { return imagePath; }
}
