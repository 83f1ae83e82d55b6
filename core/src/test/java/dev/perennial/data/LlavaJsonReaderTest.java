/*
 * LlavaJsonReader on small files written here: the fields of a sample (single image, image list, no image,
 * numeric id, unknown fields skipped), errors with their exact positions (malformed JSON: line, column, sample
 * index; invalid samples: index, id, kind, under both InvalidSamples policies), and the bound on how far the
 * reader reads ahead of the sample it returned, which is what keeps memory independent of the file size.
 */
package dev.perennial.data;

import dev.perennial.text.ConversationTurn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.perennial.text.ConversationTurn.gpt;
import static dev.perennial.text.ConversationTurn.human;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlavaJsonReaderTest {
    @TempDir
    Path dir;

    static List<LlavaSample> readAll(LlavaJsonReader reader) throws IOException {
        List<LlavaSample> out = new ArrayList<>();
        for (LlavaSample s = reader.read(); s != null; s = reader.read()) out.add(s);
        return out;
    }

    private List<LlavaSample> readAll(String json, InvalidSamples policy) throws IOException {
        try (LlavaJsonReader reader = LlavaJsonReader.open(Files.writeString(dir.resolve("data.json"), json), policy)) {
            return readAll(reader);
        }
    }

    private LlavaDataException failure(String json, InvalidSamples policy) {
        return assertThrows(LlavaDataException.class, () -> readAll(json, policy));
    }

    /** CoIN test records (test.json of CoIN and of the built-in benchmark) read as the question and its reference. */
    @Test
    void coinTestRecordsReadAsTwoTurnSamples() throws IOException {
        List<LlavaSample> s = readAll("""
                [{"question_id": 17, "image": "a.jpg", "text": "What color?", "answer": "red"},
                 {"question_id": "q2", "text": "<image>\\nHow many?", "image": "b.jpg", "answers": [{"answer": "2"}, {"answer": "two"}]},
                 {"question_id": "q3", "text": "Name it.", "answers": ["cat", "kitty"], "answer": "tabby"},
                 {"question_id": "q4", "image": "c.jpg", "text": "Where is the cube?", "answer_bbox": "[0.1, 0.2, 0.5, 0.6]"}]
                """, InvalidSamples.FAIL);
        assertEquals(List.of("17", "q2", "q3", "q4"), s.stream().map(LlavaSample::id).toList());
        assertEquals(List.of(new ConversationTurn("human", "<image>\nWhat color?"), new ConversationTurn("gpt", "red")), s.get(0).conversations());
        assertEquals(List.of("a.jpg"), s.get(0).images());
        assertEquals("<image>\nHow many?", s.get(1).conversations().get(0).value(), "a placeholder already there is not doubled");
        assertEquals("2", s.get(1).conversations().get(1).value(), "the first of several references");
        assertEquals(List.of(new ConversationTurn("human", "Name it."), new ConversationTurn("gpt", "tabby")), s.get(2).conversations(),
                "no image: no placeholder; \"answer\" wins over \"answers\"");
        assertEquals("[0.1, 0.2, 0.5, 0.6]", s.get(3).conversations().get(1).value());
        LlavaDataException e = failure("[{\"question_id\": 1, \"text\": \"q\"}]", InvalidSamples.FAIL);
        assertTrue(e.getMessage().contains("without \"answer\""), e.getMessage());
    }

    @Test
    void readsTheFieldsOfEachSample() throws IOException {
        String json = """
                [
                  {"id": "000000033471", "image": "coco/train2017/000000033471.jpg", "conversations": [
                    {"from": "human", "value": "<image>\\nWhat are the colors of the bus?"}, {"from": "gpt", "value": "White and red."}]},
                  {"id": 42, "extra": {"nested": [1, {"a": null}]}, "image": ["a.png", "b/c.jpg"],
                   "conversations": [{"from": "human", "value": "Compare", "weight": 0.5}, {"from": "gpt", "value": "Same."}]},
                  {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}], "image": null}
                ]
                """;
        List<LlavaSample> samples = readAll(json, InvalidSamples.FAIL);
        assertEquals(3, samples.size());
        assertEquals(new LlavaSample(0, "000000033471", List.of("coco/train2017/000000033471.jpg"),
                List.of(human("<image>\nWhat are the colors of the bus?"), gpt("White and red."))), samples.get(0));
        assertEquals(new LlavaSample(1, "42", List.of("a.png", "b/c.jpg"), List.of(human("Compare"), gpt("Same."))), samples.get(1));
        assertEquals(new LlavaSample(2, null, List.of(), List.of(human("Hi"), gpt("Hello!"))), samples.get(2));
        assertEquals("sample 1 (id \"42\")", samples.get(1).describe());
        assertEquals("sample 2", samples.get(2).describe());
    }

    @Test
    void emptyArrayHasNoSamples() throws IOException {
        assertEquals(List.of(), readAll(" [ ] ", InvalidSamples.FAIL));
    }

    @Test
    void malformedJsonNamesLineColumnAndSample() {
        String line3 = "  {\"id\": \"b\", \"conversations\": [{\"from\": \"human\" \"value\": \"hi\"}]}";
        String json = "[\n  {\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"yo\"}]},\n"
                + line3 + "\n]\n";
        LlavaDataException e = failure(json, InvalidSamples.SKIP);
        assertEquals(LlavaDataException.Kind.MALFORMED_JSON, e.kind());
        assertEquals(1, e.sampleIndex());
        assertEquals(3, e.line());
        // the 1-based column of the offending character, the '"' opening "value" where a comma belongs
        assertEquals(line3.indexOf("\"value\"") + 1, e.column());
        assertTrue(e.getMessage().startsWith(dir.resolve("data.json") + ": sample 1 at line 3, column "), e.getMessage());
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
    }

    @Test
    void truncatedFileNamesTheSampleBeingRead() {
        LlavaDataException e = failure("[{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}]}, {\"id\": \"x\", \"conv",
                InvalidSamples.FAIL);
        assertEquals(LlavaDataException.Kind.MALFORMED_JSON, e.kind());
        assertEquals(1, e.sampleIndex());
        assertEquals(1, e.line());
    }

    @Test
    void whatIsNotAnArrayOfObjectsIsMalformed() {
        assertEquals(-1, failure("{\"conversations\": []}", InvalidSamples.SKIP).sampleIndex());
        assertEquals(LlavaDataException.Kind.MALFORMED_JSON, failure("[1]", InvalidSamples.SKIP).kind());
        LlavaDataException trailing = failure("[]\n[]", InvalidSamples.SKIP);
        assertEquals(2, trailing.line());
        assertTrue(trailing.getMessage().contains("after the closing"), trailing.getMessage());
    }

    private static final String VALID = "{\"id\": \"ok%d\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}";

    /** Each invalid sample sits at index 1, on line 3, between two valid ones; its id comes after the defect. */
    private static String between(String invalid) {
        return "[\n" + VALID.formatted(0) + ",\n   " + invalid + ",\n" + VALID.formatted(2) + "\n]";
    }

    @Test
    void invalidSamplesFailWithIndexAndIdOrAreSkippedAndCounted() throws IOException {
        List<String[]> cases = List.of(
                new String[]{"{\"image\": \"x.jpg\", \"id\": \"bad\"}", "no \"conversations\""},
                new String[]{"{\"conversations\": [], \"id\": \"bad\"}", "\"conversations\" is empty"},
                new String[]{"{\"conversations\": [{\"from\": \"system\", \"value\": \"x\"}], \"id\": \"bad\"}", "turn 0 is from \"system\""},
                new String[]{"{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \" \"}], \"id\": \"bad\"}",
                        "turn 1 (gpt) has an empty value"},
                new String[]{"{\"conversations\": [{\"from\": \"human\", \"value\": 3}], \"id\": \"bad\"}", "turn 0: \"value\" is not a string"},
                new String[]{"{\"conversations\": [{\"from\": \"human\"}], \"id\": \"bad\"}", "turn 0 lacks \"from\" or \"value\""},
                new String[]{"{\"conversations\": {\"from\": \"human\"}, \"id\": \"bad\"}", "\"conversations\" is not a list"},
                new String[]{"{\"image\": 7, \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}], \"id\": \"bad\"}", "\"image\" is neither"});
        for (String[] c : cases) {
            LlavaDataException e = failure(between(c[0]), InvalidSamples.FAIL);
            assertEquals(LlavaDataException.Kind.INVALID_SAMPLE, e.kind(), c[0]);
            assertEquals(1, e.sampleIndex(), c[0]);
            assertEquals("bad", e.sampleId(), c[0]);
            assertEquals(3, e.line(), c[0]);
            assertEquals(4, e.column(), c[0]);
            assertTrue(e.getMessage().contains("sample 1 (id \"bad\") at line 3, column 4: " + c[1]), e.getMessage());

            try (LlavaJsonReader reader = LlavaJsonReader.open(Files.writeString(dir.resolve("skip.json"), between(c[0])), InvalidSamples.SKIP)) {
                List<LlavaSample> kept = readAll(reader);
                assertEquals(List.of(0, 2), kept.stream().map(LlavaSample::index).toList(), c[0]);
                assertEquals(List.of("ok0", "ok2"), kept.stream().map(LlavaSample::id).toList(), c[0]);
                assertEquals(1, reader.skippedCount(), c[0]);
            }
        }
    }

    /** Counts the bytes the reader has pulled from the stream. */
    private static final class CountingStream extends FilterInputStream {
        long consumed;

        CountingStream(InputStream in) { super(in); }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) consumed++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) consumed += n;
            return n;
        }
    }

    @Test
    void readsAheadAtMostOneBufferBeyondTheReturnedSample() throws IOException {
        byte[] json = GeneratedDataset.json(20_000).getBytes(StandardCharsets.UTF_8);
        CountingStream in = new CountingStream(new ByteArrayInputStream(json));
        int n = 0;
        long maxAhead = 0;
        try (LlavaJsonReader reader = LlavaJsonReader.open(in, "generated", InvalidSamples.FAIL)) {
            for (LlavaSample s = reader.read(); s != null; s = reader.read()) {
                assertEquals(GeneratedDataset.sample(n), s);
                maxAhead = Math.max(maxAhead, in.consumed - reader.lastEnd());
                n++;
            }
        }
        assertEquals(20_000, n);
        assertTrue(json.length > 4_000_000, "the input is " + json.length + " bytes");
        assertTrue(maxAhead <= 16 * 1024, "read " + maxAhead + " bytes ahead of the sample returned");
    }
}
