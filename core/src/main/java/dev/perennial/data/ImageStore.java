/*
 * The images of a dataset: paths from the samples resolved against one root folder (LLaVA's --image_folder),
 * decoded (image.ImageDecoder) and preprocessed (image.ClipImageProcessor, optionally with LLaVA-1.5's
 * pad-to-square, image_aspect_ratio = "pad") into float32 [3, S, S].
 *
 * Confinement: a path must be relative, must not climb out of the root after normalisation, and, when the file
 * exists, its real path (symbolic links followed) must lie inside the root's real path; otherwise
 * ImagePathException. The file is then opened by its real path. (A link swapped between check and open is not
 * guarded against; the root is assumed not to be writable by an attacker while a run reads it.)
 *
 * Failures to decode (missing, unreadable, unknown format, damaged, too large) are returned as ImageLoad.Failed and
 * counted per ImageDecodeException.Reason with thread-safe counters, so loader threads can share one store and a
 * run can end with summary(): "N loaded, M missing, K corrupt (...)".
 */
package dev.perennial.data;

import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.ImageDecodeException;
import dev.perennial.image.ImageDecodeException.Reason;
import dev.perennial.image.ImageDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * The images of a dataset: resolves a sample's relative image path inside one root folder (paths or symbolic links
 * leading outside are an {@code ImagePathException}), decodes the file and preprocesses it into float32 pixels
 * {@code [3, S, S]}; decoding failures are returned as {@code ImageLoad.Failed} and counted per reason.
 * <p>Thread-safe: every field is final, the processor is immutable, and the counters are {@code LongAdder}s in a map
 * filled by the constructor, so loader threads can share one store.
 */
public final class ImageStore {
    private final Path root;
    private final Path realRoot;
    private final ClipImageProcessor processor;
    private final boolean padToSquare;
    private final LongAdder loaded = new LongAdder();
    private final Map<Reason, LongAdder> failed = new EnumMap<>(Reason.class);

    /** A store over the folder root (which must exist); images go through processor, padded first if padToSquare. */
    public ImageStore(Path root, ClipImageProcessor processor, boolean padToSquare) throws IOException {
        if (!Files.isDirectory(root)) throw new IOException("image root " + root + " is not a folder");
        this.root = root.toAbsolutePath().normalize();
        this.realRoot = root.toRealPath();
        this.processor = processor;
        this.padToSquare = padToSquare;
        for (Reason r : Reason.values()) failed.put(r, new LongAdder());
    }

    /** The file that imagePath (as written in a sample) names, checked to lie inside the root. */
    public Path resolve(String imagePath) throws ImagePathException {
        Path relative;
        try {
            relative = Path.of(imagePath);
        } catch (InvalidPathException e) {
            throw new ImagePathException(imagePath, root, "not a valid path");
        }
        if (imagePath.isBlank()) throw new ImagePathException(imagePath, root, "empty");
        if (relative.isAbsolute()) throw new ImagePathException(imagePath, root, "absolute paths are not allowed");
        Path file = root.resolve(relative).normalize();
        if (!file.startsWith(root) || file.equals(root)) throw new ImagePathException(imagePath, root, "it leads outside the root");
        if (!Files.exists(file)) return file;
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return file;
        }
        if (!real.startsWith(realRoot)) {
            throw new ImagePathException(imagePath, root, "a symbolic link leads outside the root, to " + real);
        }
        return real;
    }

    /** The pixel values of imagePath, or the counted reason it cannot be loaded. */
    public ImageLoad load(String imagePath) throws ImagePathException {
        Path file = resolve(imagePath);
        try {
            ImageLoad.Loaded result = new ImageLoad.Loaded(processor.preprocess(ImageDecoder.read(file), padToSquare));
            loaded.increment();
            return result;
        } catch (ImageDecodeException e) {
            failed.get(e.reason()).increment();
            return new ImageLoad.Failed(e);
        }
    }

    /** Images loaded so far. */
    public long loadedCount() { return loaded.sum(); }

    /** Images that failed so far for this reason. */
    public long failedCount(Reason reason) { return failed.get(reason).sum(); }

    /** Images not found. */
    public long missingCount() { return failedCount(Reason.NOT_FOUND); }

    /** Images found but unusable: every reason other than NOT_FOUND. */
    public long corruptCount() {
        return Arrays.stream(Reason.values()).filter(r -> r != Reason.NOT_FOUND).mapToLong(this::failedCount).sum();
    }

    /** "120 images loaded, 2 missing, 1 corrupt (1 truncated or corrupt image data)". */
    public String summary() {
        String details = Arrays.stream(Reason.values()).filter(r -> r != Reason.NOT_FOUND && failedCount(r) > 0)
                .map(r -> failedCount(r) + " " + r).collect(Collectors.joining(", "));
        return loadedCount() + " images loaded, " + missingCount() + " missing, " + corruptCount() + " corrupt"
                + (details.isEmpty() ? "" : " (" + details + ")");
    }
}
