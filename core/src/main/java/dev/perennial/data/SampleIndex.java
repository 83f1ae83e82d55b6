/*
 * Random access to the samples of a LLaVA JSON file without holding them: one streaming pass (LlavaJsonReader,
 * which also validates every sample) records each sample's byte span, and read(i) re-reads sample i by a
 * positional read of exactly those bytes. That is what shuffled epochs over LLaVA-665K need (LLaVA keeps the
 * parsed list in memory, several GB in Python objects); the index costs 16 bytes per sample (start offset,
 * length, position in the file), about 11 MB for 665K samples.
 *
 * i counts the samples the index holds: with InvalidSamples.SKIP the skipped ones are left out, and
 * read(i).index() is still the sample's position in the file. read(i) is thread-safe (FileChannel positional
 * reads, a parser per call). The file must not change after indexing; a changed size is reported as
 * LlavaDataException.Kind.CHANGED_FILE (an edit that keeps the size is not detected).
 */
package dev.perennial.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Random access to the samples of a LLaVA JSON file without holding them: {@code build} streams the file once and
 * records each sample's byte offset and length (16 bytes per sample), and {@code read(i)} re-parses sample i from
 * exactly those bytes. The file must not change after indexing.
 * <p>Thread-safe: its offset tables are final and never modified after {@code build}, and {@code read} uses positional
 * {@code FileChannel} reads and a parser per call, so several threads may read at once; {@code close()} must not run
 * while they do.
 */
public final class SampleIndex implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(SampleIndex.class);
    private static final long PROGRESS_EVERY_NANOS = 10_000_000_000L;

    private final Path file;
    private final FileChannel channel;
    private final long fileSize;
    private final long[] starts;
    private final int[] lengths;
    private final int[] positions;
    private final int skipped;

    private SampleIndex(Path file, long[] starts, int[] lengths, int[] positions, int skipped) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.fileSize = channel.size();
        this.starts = starts;
        this.lengths = lengths;
        this.positions = positions;
        this.skipped = skipped;
    }

    /** Reads the whole file once (validating every sample as policy says) and records where each sample is. */
    public static SampleIndex build(Path file, InvalidSamples policy) throws IOException {
        long[] starts = new long[1024];
        int[] lengths = new int[1024], positions = new int[1024];
        int n = 0;
        long begun = System.nanoTime(), lastLog = begun;
        try (LlavaJsonReader reader = LlavaJsonReader.open(file, policy)) {
            for (LlavaSample s = reader.read(); s != null; s = reader.read()) {
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, 2 * n);
                    lengths = Arrays.copyOf(lengths, 2 * n);
                    positions = Arrays.copyOf(positions, 2 * n);
                }
                long length = reader.lastEnd() - reader.lastStart();
                if (length > Integer.MAX_VALUE) throw new IOException(file + ": " + s.describe() + " is larger than 2 GiB");
                starts[n] = reader.lastStart();
                lengths[n] = (int) length;
                positions[n++] = s.index();
                long now = System.nanoTime();
                if (now - lastLog > PROGRESS_EVERY_NANOS) {
                    lastLog = now;
                    LOG.info("indexing {}: {} samples, {} MB read, {} samples/s", file, n, reader.lastEnd() >> 20,
                            (long) (n / ((now - begun) * 1e-9)));
                }
            }
            LOG.info("indexed {}: {} samples{}", file, n, reader.skippedCount() == 0 ? "" : ", " + reader.skippedCount() + " invalid skipped");
            return new SampleIndex(file, Arrays.copyOf(starts, n), Arrays.copyOf(lengths, n), Arrays.copyOf(positions, n),
                    reader.skippedCount());
        }
    }

    /** Number of samples in the index. */
    public int size() { return starts.length; }

    /** Samples left out as invalid (InvalidSamples.SKIP). */
    public int skippedCount() { return skipped; }

    /** Sample i (0 &lt;= i &lt; size()), read from the file. */
    public LlavaSample read(int i) throws IOException {
        if (i < 0 || i >= starts.length) throw new IndexOutOfBoundsException("sample " + i + " of " + starts.length);
        if (channel.size() != fileSize) {
            throw new LlavaDataException(file.toString(), LlavaDataException.Kind.CHANGED_FILE, positions[i], null, -1, -1,
                    starts[i], "the file changed after it was indexed (" + fileSize + " bytes then, " + channel.size() + " now)", null);
        }
        ByteBuffer bytes = ByteBuffer.allocate(lengths[i]);
        while (bytes.hasRemaining()) {
            if (channel.read(bytes, starts[i] + bytes.position()) < 0) break;
        }
        try (JsonParser parser = LlavaJsonReader.JSON.createParser(bytes.array(), 0, bytes.position())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) throw changed(i, starts[i], "no sample object at the indexed offset");
            LlavaSampleParser.Parsed parsed = LlavaSampleParser.parse(parser, positions[i]);
            if (parsed.sample() == null) throw changed(i, starts[i], parsed.problem());
            return parsed.sample();
        } catch (StreamReadException e) {
            long at = e.getLocation() == null ? starts[i] : starts[i] + e.getLocation().getByteOffset();
            throw changed(i, at, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    private LlavaDataException changed(int i, long at, String detail) {
        return new LlavaDataException(file.toString(), LlavaDataException.Kind.CHANGED_FILE, positions[i], null, -1, -1, at,
                detail + " (the file changed after it was indexed?)", null);
    }

    @Override
    public void close() throws IOException { channel.close(); }
}
