/*
 * TestRecords reads CoIN test records (one answer, ten answers, a grounding box with its image size) and LLaVA
 * conversations in one array, strips the image placeholder from questions, and refuses every malformed split with
 * the file and the record's position.
 */
package dev.perennial.lifelong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TestRecordsTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        return Files.writeString(dir.resolve("test.json"), json);
    }

    @Test
    void readsBothFormats() throws IOException {
        List<TestRecord> r = TestRecords.read(write("""
                [{"question_id": 7, "image": "a.png", "text": "What is it?\\nAnswer the question using a single word or phrase.", "answer": "cat"},
                 {"question_id": "q2", "image": "b.png", "text": "<image>\\nHow many?", "answers": ["two", "2", {"answer": "two"}]},
                 {"question_id": "g", "image": "c.png", "text": "Where is the dog?", "answer_bbox": "[0.1, 0.2, 0.3, 0.4]", "size": [640, 480]},
                 {"id": "conv", "image": "d.png", "conversations": [{"from": "human", "value": "<image>\\nColour?"}, {"from": "gpt", "value": "red"}]},
                 {"text": "No id here", "answer": "ok"}]
                """));
        assertEquals(5, r.size());
        assertEquals("7", r.get(0).id());
        assertEquals("What is it?\nAnswer the question using a single word or phrase.", r.get(0).question());
        assertEquals(List.of("cat"), r.get(0).answers());
        assertEquals("How many?", r.get(1).question());
        assertEquals(List.of("two", "2", "two"), r.get(1).answers());
        assertEquals("[0.1, 0.2, 0.3, 0.4]", r.get(2).box());
        assertArrayEquals(new int[]{640, 480}, r.get(2).size());
        assertTrue(r.get(2).answers().isEmpty());
        assertEquals("conv", r.get(3).id());
        assertEquals("Colour?", r.get(3).question());
        assertEquals(List.of("red"), r.get(3).answers());
        assertEquals("d.png", r.get(3).image());
        assertEquals("4", r.get(4).id(), "the record's position when it has no id");
        assertNull(r.get(4).image());
    }

    @Test
    void malformedSplitsNameTheRecord() throws IOException {
        assertTrue(assertThrows(IOException.class, () -> TestRecords.read(write("[{\"text\": "))).getMessage().contains("not valid JSON"));
        assertTrue(assertThrows(IOException.class, () -> TestRecords.read(write("{\"text\": \"q\"}"))).getMessage().contains("JSON array"));
        String noAnswer = assertThrows(IOException.class, () -> TestRecords.read(write("[{\"text\": \"q\", \"answer\": \"a\"}, {\"text\": \"q\"}]"))).getMessage();
        assertTrue(noAnswer.contains("record 1") && noAnswer.contains("no reference answer"), noAnswer);
        String neither = assertThrows(IOException.class, () -> TestRecords.read(write("[{\"question\": \"q\"}]"))).getMessage();
        assertTrue(neither.contains("record 0") && neither.contains("conversations"), neither);
        String noGpt = assertThrows(IOException.class, () -> TestRecords.read(write(
                "[{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}]}]"))).getMessage();
        assertTrue(noGpt.contains("gpt answer"), noGpt);
        String size = assertThrows(IOException.class, () -> TestRecords.read(write(
                "[{\"text\": \"q\", \"answer_bbox\": \"[0,0,1,1]\", \"size\": [640]}]"))).getMessage();
        assertTrue(size.contains("[width, height]"), size);
        assertTrue(assertThrows(IOException.class, () -> TestRecords.read(write("[3]"))).getMessage().contains("not a JSON object"));
    }
}
