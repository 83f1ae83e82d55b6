/*
 * SelectedRecords (docs/methods/adapt-inf.md §9.2): counting records, writing the selected ones in the requested order with
 * every field kept and the source dataset added, and clear errors for malformed files, non-object records and
 * indices past the end.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectedRecordsTest {
    @TempDir
    Path dir;

    private Path file(String name, String json) throws IOException {
        return Files.writeString(dir.resolve(name), json);
    }

    @Test
    void writesTheSelectedRecordsWithTheirSource() throws IOException {
        Path a = file("a.json", "[{\"id\": \"a0\", \"image\": \"x.png\", \"conversations\": []}, {\"id\": \"a1\", \"task\": \"vqa\","
                + " \"nested\": {\"k\": [1, 2.5, null]}}, {\"id\": \"a2\", \"perennial_source\": \"old\"}]");
        Path b = file("b.json", "[\n {\"id\": \"b0\"},\n {\"id\": \"b1\"}\n]");
        assertEquals(3, SelectedRecords.count(a));
        assertEquals(2, SelectedRecords.count(b));
        assertEquals(0, SelectedRecords.count(file("e.json", " [ ] ")));
        Path out = dir.resolve("sel.json");
        SelectedRecords.write(out, List.of(new SampleId("B", 1), new SampleId("A", 1), new SampleId("A", 2)), Map.of("A", a, "B", b));
        JsonNode r = new ObjectMapper().readTree(out.toFile());
        assertEquals(3, r.size());
        assertEquals("{\"id\":\"b1\",\"perennial_source\":\"B\"}", r.get(0).toString());
        assertEquals("{\"id\":\"a1\",\"task\":\"vqa\",\"nested\":{\"k\":[1,2.5,null]},\"perennial_source\":\"A\"}", r.get(1).toString());
        assertEquals("A", r.get(2).get("perennial_source").asText());          // an existing value is replaced
        SelectedRecords.write(out, List.of(), Map.of());
        assertEquals("[ ]", Files.readString(out).trim());
    }

    @Test
    void badFilesAreClearErrors() throws IOException {
        Path broken = file("broken.json", "[{\"id\": 1},\n {\"id\": }]");
        IOException e = assertThrows(IOException.class, () -> SelectedRecords.count(broken));
        assertTrue(e.getMessage().startsWith(broken + ": malformed JSON: ") && e.getMessage().contains("line 2"), e.getMessage());
        Path scalar = file("scalar.json", "[{\"id\": 1}, 7]");
        IOException s = assertThrows(IOException.class, () -> SelectedRecords.count(scalar));
        assertEquals(scalar + ": record 1 is not a JSON object", s.getMessage());
        Path object = file("object.json", "{\"id\": 1}");
        assertEquals(object + ": not a JSON array of records", assertThrows(IOException.class, () -> SelectedRecords.count(object)).getMessage());
        Path trailing = file("trailing.json", "[{\"id\": 1}] []");
        assertTrue(assertThrows(IOException.class, () -> SelectedRecords.count(trailing)).getMessage().contains("after the closing"));

        Path two = file("two.json", "[{\"id\": 1}, {\"id\": 2}]");
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                () -> SelectedRecords.write(dir.resolve("o.json"), List.of(new SampleId("T", 2)), Map.of("T", two)));
        assertEquals(two + " has no record 2 (sample T#2)", past.getMessage());
        assertFalse(Files.exists(dir.resolve("o.json")));
        assertThrows(IllegalArgumentException.class, () -> SelectedRecords.write(dir.resolve("o.json"), List.of(new SampleId("U", 0)), Map.of()));
    }
}
