/*
 * The one exception for a LLaVA data file that cannot be read as LLaVA samples. Like image.ImageDecodeException it
 * is an IOException (bad input the caller handles) with a machine-readable Kind and a one-line message
 *   "<file>: sample 12 (id "x") at line 40, column 7: <detail>"
 * Positions come from Jackson: line and column (1-based; the column counts bytes) when the file is streamed from
 * its start, the byte offset always (random access through SampleIndex knows only bytes, so line and column are
 * -1 there). For an invalid sample the position is that of the sample's opening brace; for malformed JSON it is
 * where the parser stopped.
 */
package dev.perennial.data;

import java.io.IOException;

/**
 * The exception for a LLaVA data file that cannot be read as LLaVA samples: an {@code IOException} with a {@code Kind}
 * (malformed JSON, invalid sample, file changed after indexing), the file, the sample's index and id, and its position:
 * 1-based line and column, byte offset (-1 when unknown).
 * <p>Immutable once thrown: every field is final.
 */
public final class LlavaDataException extends IOException {

    public enum Kind {
        /** Not JSON, or not a JSON array of objects. */
        MALFORMED_JSON,
        /** Well-formed JSON, but not a usable LLaVA sample (see InvalidSamples). */
        INVALID_SAMPLE,
        /** The file changed after it was indexed. */
        CHANGED_FILE
    }

    private final String source;
    private final Kind kind;
    private final int sampleIndex;
    private final String sampleId;
    private final long line, column, byteOffset;

    LlavaDataException(String source, Kind kind, int sampleIndex, String sampleId, long line, long column, long byteOffset,
                       String detail, Throwable cause) {
        super((source + ": " + (sampleIndex < 0 ? "" : LlavaSample.describe(sampleIndex, sampleId) + " ")
                + (line > 0 ? "at line " + line + ", column " + column : "at byte " + byteOffset) + ": " + detail)
                .replaceAll("\\p{Cntrl}+", " "), cause);
        this.source = source;
        this.kind = kind;
        this.sampleIndex = sampleIndex;
        this.sampleId = sampleId;
        this.line = line;
        this.column = column;
        this.byteOffset = byteOffset;
    }

    /** The file (or stream name) being read. */
    public String source() { return source; }

    public Kind kind() { return kind; }

    /** Position of the sample in the top-level array, -1 when the error is outside any sample. */
    public int sampleIndex() { return sampleIndex; }

    /** The sample's "id", null when unknown. */
    public String sampleId() { return sampleId; }

    /** 1-based line, -1 when unknown. */
    public long line() { return line; }

    /** 1-based column, -1 when unknown. */
    public long column() { return column; }

    /** Byte offset in the file, -1 when unknown. */
    public long byteOffset() { return byteOffset; }
}
