/*
 * The one exception for an image file that cannot be turned into an RgbImage.
 *
 * Like io.TensorFormatException it is an IOException (a bad file is an input problem the caller handles) that
 * carries the file and a machine-readable Reason, with a single-line message "<file>: <reason>: <detail>" that
 * the command line prints as is. A damaged file is always reported, never decoded into a partly black or grey
 * image: PIL raises "image file is truncated" there too (LOAD_TRUNCATED_IMAGES is off by default).
 */
package dev.perennial.image;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code IOException} for an image file that cannot be decoded into an {@link RgbImage}: it carries the file and a
 * machine-readable {@link Reason}, and its message is the single line {@code file: reason: detail}.
 * <p>Thread-safe: its own fields are final and immutable, and the state it inherits from {@code Throwable} (cause,
 * stack trace, suppressed exceptions) is synchronized there.
 */
public final class ImageDecodeException extends IOException {

    /** Why the file could not be decoded. */
    public enum Reason {
        /** There is no file at the path. */
        NOT_FOUND("no such file"),
        /** The path exists but cannot be read (a folder, no permission, an I/O error). */
        UNREADABLE("cannot be read"),
        /** No decoder recognises the bytes (not an image, or a format other than JPEG/PNG/GIF/BMP). */
        UNKNOWN_FORMAT("not a supported image format"),
        /** A known format, but a variant this decoder does not convert like PIL (e.g. YCCK JPEG). */
        UNSUPPORTED("unsupported image"),
        /** The data ends early or is corrupt (the decoder's own message is the detail). */
        DAMAGED("truncated or corrupt image data"),
        /** More pixels than PIL's decompression-bomb limit. */
        TOO_LARGE("image too large");

        private final String text;

        Reason(String text) { this.text = text; }

        @Override
        public String toString() { return text; }
    }

    private final Path file;
    private final Reason reason;

    ImageDecodeException(Path file, Reason reason, String detail, Throwable cause) {
        super((file + ": " + reason + (detail == null || detail.isEmpty() ? "" : ": " + detail))
                .replaceAll("\\p{Cntrl}+", " "), cause);
        this.file = file;
        this.reason = reason;
    }

    ImageDecodeException(Path file, Reason reason, String detail) {
        this(file, reason, detail, null);
    }

    public Path file() { return file; }

    public Reason reason() { return reason; }
}
