/*
 * Reads a task's test split: a JSON array whose elements are CoIN test records
 * ({"question_id", "image", "text", "answer" | "answers", ["answer_bbox", "size"]}, docs/methods/modalprompt.md §10.2) or LLaVA
 * conversations ({"id", "image", "conversations": [human, gpt, ...]}), mixed freely. A record that is neither, or
 * has no reference answer, is an error naming the file and the record's position: a test set with silently dropped
 * items would change the accuracy's denominator.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a task's test split, a JSON array of CoIN test records or LLaVA conversations (mixed freely), as
 * {@code TestRecord}s; a record that is neither, or has no reference answer, is an {@code IOException} naming the file
 * and the record's position.
 * <p>Stateless; its static methods are safe to call from several threads (its static Jackson {@code ObjectMapper} is
 * configured once and never reconfigured).
 */
public final class TestRecords {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestRecords() {}

    public static List<TestRecord> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) throw new IOException(file + ": a test split must be a JSON array of records");
        List<TestRecord> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            try {
                out.add(record(root.get(i), i));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": record " + i + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    static TestRecord record(JsonNode r, int index) {
        if (!r.isObject()) throw new IllegalArgumentException("not a JSON object");
        String image = r.hasNonNull("image") ? r.get("image").asText() : null;
        if (r.has("conversations")) {
            String q = null, a = null;
            for (JsonNode turn : r.get("conversations")) {
                String from = turn.path("from").asText(), value = turn.path("value").asText(null);
                if (q == null && from.equals("human")) q = value;
                else if (q != null && a == null && from.equals("gpt")) a = value;
            }
            if (q == null || a == null) throw new IllegalArgumentException("a conversation test record needs a human turn and a gpt answer");
            String id = r.hasNonNull("id") ? r.get("id").asText() : String.valueOf(index);
            return new TestRecord(id, image, stripImage(q), List.of(a), null, null);
        }
        if (!r.hasNonNull("text")) throw new IllegalArgumentException("no \"text\" (CoIN test record) and no \"conversations\"");
        List<String> answers = new ArrayList<>();
        if (r.has("answers") && r.get("answers").isArray()) {
            for (JsonNode a : r.get("answers")) answers.add(a.isObject() ? a.path("answer").asText() : a.asText());
        } else if (r.hasNonNull("answer")) {
            answers.add(r.get("answer").asText());
        }
        String box = r.hasNonNull("answer_bbox") ? r.get("answer_bbox").asText() : null;
        if (answers.isEmpty() && box == null) throw new IllegalArgumentException("no reference answer (\"answer\", \"answers\" or \"answer_bbox\")");
        int[] size = null;
        if (r.has("size")) {
            JsonNode s = r.get("size");
            if (!s.isArray() || s.size() != 2 || !s.get(0).isNumber() || !s.get(1).isNumber()) {
                throw new IllegalArgumentException("\"size\" must be [width, height]");
            }
            size = new int[]{s.get(0).asInt(), s.get(1).asInt()};
        }
        String id = r.hasNonNull("question_id") ? r.get("question_id").asText() : String.valueOf(index);
        return new TestRecord(id, image, stripImage(r.get("text").asText()), answers, box, size);
    }

    /** The question without LLaVA's image placeholder line. */
    static String stripImage(String q) {
        String p = "<image>";
        if (q.startsWith(p + "\n")) return q.substring(p.length() + 1);
        if (q.endsWith("\n" + p)) return q.substring(0, q.length() - p.length() - 1);
        return q.replace(p, "").strip();
    }
}
