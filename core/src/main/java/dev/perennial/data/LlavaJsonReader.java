/*
 * Streams the samples of a LLaVA JSON file (a top-level array of sample objects) one at a time with Jackson's
 * streaming parser. LLaVA-665K is about 1 GB and LLaVA loads it whole (json.load in LazySupervisedDataset); here
 * only the sample being parsed is in memory, plus Jackson's fixed input buffer, so memory does not grow with the
 * file (LlavaJsonReaderTest checks how far ahead of the returned sample the reader has read).
 *
 * read() returns the next sample, or null after the last one. Errors are LlavaDataException: malformed JSON with
 * the line and column where Jackson stopped and the index of the sample being read; an invalid sample with its
 * index and id, thrown or skipped and counted as the InvalidSamples policy says. Content after the closing bracket
 * is malformed JSON too. The reader also reports the byte span of the sample it returned last, which is how
 * SampleIndex records where to seek.
 */
package dev.perennial.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streams the samples of a LLaVA JSON file (a top-level array of sample objects) one {@code LlavaSample} at a time,
 * holding only the sample being parsed, so memory does not grow with the file. Malformed JSON and invalid samples are
 * {@code LlavaDataException}s with line, column and byte offset, or invalid samples are skipped and counted.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it wraps a streaming parser and
 * mutable position counters.
 */
public final class LlavaJsonReader implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaJsonReader.class);
    static final JsonFactory JSON = new JsonFactory();

    private final String source;
    private final InvalidSamples policy;
    private final JsonParser parser;
    private boolean started, finished;
    private int next;
    private int skipped;
    private long lastStart = -1, lastEnd = -1;

    private LlavaJsonReader(InputStream in, String source, InvalidSamples policy) throws IOException {
        this.source = source;
        this.policy = policy;
        PushbackInputStream head = new PushbackInputStream(in, 4);
        try {
            requireUtf8(head, source);
            this.parser = JSON.createParser(head);
        } catch (LlavaDataException e) {
            head.close();
            throw e;
        } catch (IOException e) {
            head.close();
            throw new LlavaDataException(source, LlavaDataException.Kind.MALFORMED_JSON, -1, null, 1, 1, 0, "cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a file whose first bytes are a UTF-16/32 byte-order mark or hold a zero byte, from which Jackson would
     * decode UTF-16 or UTF-32: LLaVA JSON is UTF-8 (as JSON itself), and SampleIndex keeps byte offsets, which only
     * the UTF-8 parser reports. Without this, such a file escaped as a bare CharConversionException (found by fuzzing,
     * docs/reliability.md, "Fuzzing the file parsers").
     */
    private static void requireUtf8(PushbackInputStream in, String source) throws IOException {
        byte[] b = new byte[4];
        int n = 0;
        for (int r; n < 4 && (r = in.read(b, n, 4 - n)) > 0; ) n += r;
        in.unread(b, 0, n);
        boolean bom16 = n >= 2 && ((b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF || (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE);
        boolean zero = false;
        for (int i = 0; i < n; i++) zero |= b[i] == 0;
        if (bom16 || zero) {
            throw new LlavaDataException(source, LlavaDataException.Kind.MALFORMED_JSON, -1, null, 1, 1, 0,
                    "not UTF-8 (the first bytes are " + (bom16 ? "a UTF-16/32 byte-order mark" : "a zero byte, as in UTF-16/32")
                            + "); LLaVA JSON files are UTF-8", null);
        }
    }

    /** A reader over the LLaVA JSON file. */
    public static LlavaJsonReader open(Path file, InvalidSamples policy) throws IOException {
        return new LlavaJsonReader(Files.newInputStream(file), file.toString(), policy);
    }

    /** A reader over LLaVA JSON from a stream (closed with the reader); source names it in messages. */
    public static LlavaJsonReader open(InputStream in, String source, InvalidSamples policy) throws IOException {
        return new LlavaJsonReader(in, source, policy);
    }

    /** The next sample, or null when the array has ended. */
    public LlavaSample read() throws LlavaDataException {
        try {
            if (!started) {
                started = true;
                if (parser.nextToken() != JsonToken.START_ARRAY) throw malformed("the file is not a JSON array of samples");
            }
            while (!finished) {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.END_ARRAY) {
                    finished = true;
                    if (parser.nextToken() != null) throw malformed("content after the closing ']'");
                    return null;
                }
                if (token != JsonToken.START_OBJECT) throw malformed("array element " + next + " is not an object");
                JsonLocation start = parser.currentTokenLocation();
                int index = next++;
                LlavaSampleParser.Parsed parsed = LlavaSampleParser.parse(parser, index);
                if (parsed.sample() != null) {
                    lastStart = start.getByteOffset();
                    lastEnd = parser.currentLocation().getByteOffset();
                    return parsed.sample();
                }
                LlavaDataException invalid = new LlavaDataException(source, LlavaDataException.Kind.INVALID_SAMPLE, index,
                        parsed.id(), start.getLineNr(), start.getColumnNr(), start.getByteOffset(), parsed.problem(), null);
                if (policy == InvalidSamples.FAIL) throw invalid;
                skipped++;
                LOG.warn("skipped: {}", invalid.getMessage());
            }
            return null;
        } catch (StreamReadException e) {
            JsonLocation at = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            throw new LlavaDataException(source, LlavaDataException.Kind.MALFORMED_JSON, sampleBeingRead(),
                    null, at.getLineNr(), at.getColumnNr(), at.getByteOffset(), "malformed JSON: " + e.getOriginalMessage(), e);
        } catch (LlavaDataException e) {
            throw e;
        } catch (IOException e) {
            JsonLocation at = parser.currentLocation();
            throw new LlavaDataException(source, LlavaDataException.Kind.MALFORMED_JSON, -1, null, at.getLineNr(),
                    at.getColumnNr(), at.getByteOffset(), "cannot be read: " + e.getMessage(), e);
        }
    }

    /** Index of the sample the parser was in or about to start when it stopped; -1 outside the array. */
    private int sampleBeingRead() {
        int depth = parser.getParsingContext().getNestingDepth();
        return depth == 0 ? -1 : depth > 1 ? next - 1 : next;
    }

    private LlavaDataException malformed(String detail) {
        JsonLocation at = parser.currentTokenLocation();
        return new LlavaDataException(source, LlavaDataException.Kind.MALFORMED_JSON, -1, null, at.getLineNr(),
                at.getColumnNr(), at.getByteOffset(), detail, null);
    }

    /** Samples skipped so far under InvalidSamples.SKIP. */
    public int skippedCount() { return skipped; }

    /** Byte offset of the opening brace of the sample read() returned last. */
    long lastStart() { return lastStart; }

    /** Byte offset just after the closing brace of the sample read() returned last. */
    long lastEnd() { return lastEnd; }

    @Override
    public void close() throws IOException { parser.close(); }
}
