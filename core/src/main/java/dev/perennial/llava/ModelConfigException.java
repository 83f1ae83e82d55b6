/*
 * A model configuration that is malformed or asks for something this library does not implement.
 *
 * Named by file and key (and, for JSON syntax errors, line and column) so that a user pointing the library at a
 * checkpoint learns exactly what to fix, instead of getting a silently different model.
 */
package dev.perennial.llava;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code IOException} for a model configuration that is malformed or asks for something this library does not
 * implement, naming the file and the dotted key (and, for JSON syntax errors, the line and column), in one line.
 * <p>Thread-safe: its own fields (file, key) are final and immutable, and the state it inherits from
 * {@code Throwable} is synchronized there.
 */
public final class ModelConfigException extends IOException {
    private final Path file;
    private final String key;

    public ModelConfigException(Path file, String key, String message) {
        this(file, key, message, null);
    }

    public ModelConfigException(Path file, String key, String message, Throwable cause) {
        // one line: keys and values quoted from the file may hold line breaks
        super((file + (key == null ? "" : ": " + key) + ": " + message).replaceAll("\\p{Cntrl}+", " "), cause);
        this.file = file;
        this.key = key;
    }

    /** The configuration file. */
    public Path file() { return file; }

    /** The offending key (dotted path such as text_config.rope_scaling), or null for file-level problems. */
    public String key() { return key; }
}
