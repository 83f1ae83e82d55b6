/*
 * The one exception for a tensor file (safetensors, shard index, .npy) that is malformed or cannot be read.
 *
 * It is an IOException because a bad file is an input problem the caller must handle, not a programming
 * error. It carries the file and a Defect, so callers and tests can tell which rule was broken without
 * parsing text; the message always names the file and the defect and is a single line (details may quote
 * names taken from the file, so line breaks are flattened), which the command line prints as is.
 */
package dev.perennial.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The exception for a malformed or unreadable tensor file (safetensors, shard index, {@code .npy}, vector store): an
 * {@code IOException} carrying the file and a {@code Defect} naming the broken rule, with a one-line message.
 * <p>Immutable once thrown: its fields are final (a path, an enum constant and a string).
 */
public final class TensorFormatException extends IOException {

    /** Which rule of the format a file breaks. */
    public enum Defect {
        /** The file ends before the header, or the data section is shorter than the header says. */
        TRUNCATED("truncated"),
        /** The declared header length is zero, negative, or above the 100 MB limit. */
        BAD_HEADER_LENGTH("invalid header length"),
        /** The header is not the expected JSON / Python-literal structure (syntax, types, missing keys). */
        BAD_HEADER("malformed header"),
        /** A name (tensor, dictionary key) appears twice. */
        DUPLICATE_NAME("duplicate name"),
        /** An element type this library does not read. */
        UNKNOWN_DTYPE("unknown dtype"),
        /** A shape with negative, non-integer or too large dimensions. */
        BAD_SHAPE("invalid shape"),
        /** data_offsets that are not two non-negative integers with begin &lt;= end. */
        BAD_OFFSETS("invalid data offsets"),
        /** A byte count that does not equal numel x element size. */
        SIZE_MISMATCH("size mismatch"),
        /** Two tensors share bytes. */
        OVERLAP("overlapping tensors"),
        /** Bytes of the data section that belong to no tensor. */
        HOLE("hole in data section"),
        /** A tensor placed outside the data section by a header that is not otherwise consistent. */
        OFFSET_OUT_OF_RANGE("offsets out of range"),
        /** A single tensor over the 2 GiB limit of one Storage (a valid file this library cannot map). */
        TENSOR_TOO_LARGE("tensor too large"),
        /** Not a .npy file (magic string). */
        BAD_MAGIC("bad magic"),
        /** A .npy format version other than 1.0 or 2.0. */
        UNSUPPORTED_VERSION("unsupported version"),
        /** A .npy object array ('|O'): pickled Python objects, never read. */
        PICKLED_OBJECTS("pickled object array"),
        /** A shard index that names a shard file which does not exist. */
        MISSING_SHARD("missing shard"),
        /** A shard index entry that points outside the checkpoint folder. */
        SHARD_OUTSIDE_FOLDER("shard outside checkpoint folder"),
        /** A shard index whose weight_map disagrees with the shards' contents. */
        INDEX_MISMATCH("index does not match shards");

        private final String description;

        Defect(String description) { this.description = description; }

        /** Short human-readable name used in messages. */
        public String description() { return description; }
    }

    private final Path file;
    private final Defect defect;
    private final String detail;

    public TensorFormatException(Path file, Defect defect, String detail) {
        this(file, defect, detail, null);
    }

    public TensorFormatException(Path file, Defect defect, String detail, Throwable cause) {
        super(file + ": " + defect.description() + ": " + oneLine(detail), cause);
        this.file = file;
        this.defect = defect;
        this.detail = oneLine(detail);
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\p{Cntrl}+", " ");
    }

    /** The file that is malformed. */
    public Path file() { return file; }

    public Defect defect() { return defect; }

    /** The explanation without the file name and defect prefix. */
    public String detail() { return detail; }
}
