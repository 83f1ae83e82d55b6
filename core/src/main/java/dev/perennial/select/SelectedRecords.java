/*
 * The training set of a step as a LLaVA-JSON file (docs/methods/adapt-inf.md §9.2: the official selection script writes the
 * selected samples as one JSON list with an added "dataset" field naming the source file). Here the field is
 * SOURCE_FIELD = "perennial_source" (set on every record, replacing an existing value), so it cannot clash with
 * the datasets' own fields; everything else in a record (id, image(s), conversations, task, ...) is copied as is.
 *
 * Record numbering: a dataset's records are its top-level array elements in file order, 0-based, every element
 * counted (also samples the scorer found invalid: they still have a row of vectors and scores, with NaN scores).
 * The files are streamed with Jackson; only the selected records are held in memory. Elements that are not JSON
 * objects and malformed JSON are errors naming the file and, for JSON, the line and column.
 */
package dev.perennial.select;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training set of a step as a LLaVA-JSON file: {@code write} streams the source files and writes the selected
 * records, in the given order, as one JSON array, each with {@code perennial_source} set to its dataset, atomically;
 * {@code count} counts a file's records (top-level array elements).
 * <p>Stateless; its static methods are safe to call from several threads (its static Jackson factory and mapper are
 * never reconfigured).
 */
public final class SelectedRecords {
    /** The field naming a selected record's source dataset. */
    public static final String SOURCE_FIELD = "perennial_source";
    private static final JsonFactory JSON = StepFolder.JSON.getFactory();

    private SelectedRecords() {}

    /** Number of records (top-level array elements) of a LLaVA-JSON file. */
    public static int count(Path file) throws IOException {
        int n = 0;
        try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.createParser(in)) {
            start(p, file);
            while (next(p, file, n) == JsonToken.START_OBJECT) {
                p.skipChildren();
                n++;
            }
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        }
        return n;
    }

    /**
     * Writes the records {@code ids}, in this order, to {@code out} as a JSON array, each with SOURCE_FIELD set to
     * its dataset's name; {@code files} maps every dataset named in ids to its LLaVA-JSON file.
     */
    public static void write(Path out, List<SampleId> ids, Map<String, Path> files) throws IOException {
        Map<String, Set<Integer>> wanted = new HashMap<>();
        for (SampleId id : ids) {
            if (!files.containsKey(id.dataset())) throw new IllegalArgumentException("no file for dataset '" + id.dataset() + "'");
            wanted.computeIfAbsent(id.dataset(), d -> new HashSet<>()).add(id.index());
        }
        Map<SampleId, ObjectNode> records = new HashMap<>();
        for (var e : wanted.entrySet()) {
            String dataset = e.getKey();
            scan(files.get(dataset), e.getValue(), (index, record) -> records.put(new SampleId(dataset, index), record));
        }
        for (SampleId id : ids) {
            if (!records.containsKey(id)) {
                throw new IllegalArgumentException(files.get(id.dataset()) + " has no record " + id.index() + " (sample " + id + ")");
            }
        }
        AtomicFiles.write(out, ch -> {
            try (JsonGenerator g = JSON.createGenerator(Channels.newOutputStream(ch))) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);              // AtomicFiles still forces the channel
                g.useDefaultPrettyPrinter();
                g.writeStartArray();
                for (SampleId id : ids) {
                    ObjectNode r = records.get(id).deepCopy();
                    r.put(SOURCE_FIELD, id.dataset());
                    StepFolder.JSON.writeTree(g, r);
                }
                g.writeEndArray();
            }
        });
    }

    private interface Sink {
        void accept(int index, ObjectNode record);
    }

    /** Streams {@code file}, handing the records whose index is in {@code indices} to the sink. */
    private static void scan(Path file, Set<Integer> indices, Sink sink) throws IOException {
        if (indices.isEmpty()) return;
        try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.createParser(in)) {
            start(p, file);
            for (int i = 0; next(p, file, i) == JsonToken.START_OBJECT; i++) {
                if (indices.contains(i)) sink.accept(i, StepFolder.JSON.readTree(p)); else p.skipChildren();
            }
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        }
    }

    private static void start(JsonParser p, Path file) throws IOException {
        try {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new IOException(file + ": not a JSON array of records");
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        }
    }

    /** START_OBJECT for the next record, or END_ARRAY (then nothing may follow). */
    private static JsonToken next(JsonParser p, Path file, int index) throws IOException {
        try {
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_ARRAY) {
                if (p.nextToken() != null) throw new IOException(file + ": content after the closing ']'");
                return t;
            }
            if (t != JsonToken.START_OBJECT) throw new IOException(file + ": record " + index + " is not a JSON object");
            return t;
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        }
    }

    private static IOException malformed(Path file, JsonProcessingException e) {
        var loc = e.getLocation();
        String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        return new IOException(file + ": malformed JSON: " + e.getOriginalMessage() + where, e);
    }
}
