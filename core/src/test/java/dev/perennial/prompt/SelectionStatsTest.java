/*
 * SelectionStats counts selections per group and survives a checkpoint: report() written as JSON and read back
 * (numbers come back as Integer, not Long) restores the same counts, share and entropy, so a resumed prompt-training
 * run reports the whole run's selections.
 */
package dev.perennial.prompt;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SelectionStatsTest {
    private static PromptSelection sel(int[]... rows) {
        float[][] scores = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) scores[i] = new float[rows[i].length];
        return new PromptSelection(rows, scores, null);
    }

    @Test
    @SuppressWarnings("unchecked")
    void countsAndTheirJsonRoundTrip() throws Exception {
        SelectionStats s = new SelectionStats(List.of("a", "b", "c"));
        s.add(sel(new int[]{0, 1}, new int[]{2, 1}, new int[]{1}), "task1");
        s.add(sel(new int[]{0}), null);
        assertArrayEquals(new long[]{1, 3, 1}, s.selected().get("task1"));
        assertArrayEquals(new long[]{0, 3, 0}, s.top().get("task1"));
        assertEquals(1.0, s.share("task1", 1));
        assertEquals(0.0, s.normalisedEntropy("task1"), "one entry always last: collapsed");
        assertEquals(1.0, s.share("all", 0));

        Map<String, Object> report = s.report();
        assertEquals(List.of("a", "b", "c"), report.get("entries"));
        Map<String, Object> task1 = (Map<String, Object>) ((Map<String, Object>) report.get("groups")).get("task1");
        assertEquals("b", task1.get("top_entry"));
        assertEquals(3L, task1.get("samples"));

        ObjectMapper json = new ObjectMapper();
        Map<String, Object> back = json.readValue(json.writeValueAsBytes(report), Map.class);
        SelectionStats restored = new SelectionStats(List.of("a", "b", "c"));
        restored.add(sel(new int[]{2}), "stale");                        // replaced, not added to
        restored.restore(back);
        assertEquals(s.report(), restored.report());
        assertFalse(restored.selected().containsKey("stale"));
        restored.restore(null);
        assertTrue(restored.selected().isEmpty());
    }
}
