/*
 * Reads one sample object from a Jackson streaming parser: "id", "image" (a string or a list of strings; null or
 * absent = no image) and "conversations" (a list of {"from", "value"} objects); other fields, here and in turns,
 * are skipped without being built. Both the streaming reader and random access through SampleIndex use it, so
 * a sample reads the same either way.
 *
 * A CoIN test record ({"question_id", "image", "text", "answer" | "answers" | "answer_bbox"}, the form of CoIN's and the
 * built-in benchmark's test.json; docs/methods/modalprompt.md §10.2) reads as the two-turn conversation it stands for:
 * human "text" (with "<image>\n" in front when the record has an image and the text no placeholder), gpt the
 * reference answer (the first of "answers", whose items may be strings or {"answer": ...} objects; else the box), id
 * from "question_id" when there is no "id". Scoring a test split against all its references is TestRecords' job.
 *
 * Validity problems (InvalidSamples) are collected while the whole object is consumed and only then reported,
 * so that the parser stays positioned after the object (a reader can skip the sample) and the report can name the
 * sample's id even when "id" comes after "conversations". Syntax errors are Jackson's exceptions, thrown through.
 */
package dev.perennial.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.perennial.text.ConversationTurn;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

final class LlavaSampleParser {

    /** The sample, or (sample null) the first problem found; id as far as it was read. */
    record Parsed(LlavaSample sample, String id, String problem) {}

    private LlavaSampleParser() {}

    /** Parses the object whose START_OBJECT is the parser's current token; returns after its END_OBJECT. */
    static Parsed parse(JsonParser p, int index) throws IOException {
        String id = null;
        List<String> images = List.of();
        List<String[]> turns = null;
        String questionId = null, coinText = null, answer = null, box = null;
        List<String> problems = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "id" -> {
                    if (value.isScalarValue() && value != JsonToken.VALUE_NULL) id = p.getText();
                    else problems.add("\"id\" is not a string or number");
                }
                case "image" -> images = images(p, value, problems);
                case "conversations" -> turns = turns(p, value, problems);
                case "question_id" -> questionId = value.isScalarValue() && value != JsonToken.VALUE_NULL ? p.getText() : null;
                case "text" -> coinText = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "answer" -> answer = value == JsonToken.VALUE_STRING ? p.getText() : answer;
                case "answers" -> {
                    String first = firstAnswer(p, value);
                    if (answer == null) answer = first;
                }
                case "answer_bbox" -> box = value == JsonToken.VALUE_STRING ? p.getText() : null;
                default -> { }
            }
            p.skipChildren();
        }
        if (id == null) id = questionId;
        if (turns == null && coinText != null && problems.isEmpty()) {
            String reference = answer != null ? answer : box;
            if (reference == null) return new Parsed(null, id, "a CoIN test record (\"text\") without \"answer\", \"answers\" or \"answer_bbox\"");
            String question = !images.isEmpty() && !coinText.contains("<image>") ? "<image>\n" + coinText : coinText;
            turns = List.of(new String[]{ConversationTurn.HUMAN, question}, new String[]{ConversationTurn.GPT, reference});
        }
        if (turns == null && problems.isEmpty()) problems.add("no \"conversations\" (nor a CoIN test record's \"text\")");
        if (turns != null && turns.isEmpty() && problems.isEmpty()) problems.add("\"conversations\" is empty");
        if (!problems.isEmpty()) return new Parsed(null, id, problems.get(0));
        List<ConversationTurn> conversation = new ArrayList<>(turns.size());
        for (int i = 0; i < turns.size(); i++) {
            String from = turns.get(i)[0], text = turns.get(i)[1];
            if (!ConversationTurn.HUMAN.equals(from) && !ConversationTurn.GPT.equals(from)) {
                return new Parsed(null, id, "turn " + i + " is from \"" + from + "\" (only \"human\" and \"gpt\" are LLaVA roles)");
            }
            if (text.isBlank()) return new Parsed(null, id, "turn " + i + " (" + from + ") has an empty value");
            conversation.add(new ConversationTurn(from, text));
        }
        return new Parsed(new LlavaSample(index, id, images, conversation), id, null);
    }

    private static List<String> images(JsonParser p, JsonToken value, List<String> problems) throws IOException {
        if (value == JsonToken.VALUE_NULL) return List.of();
        if (value == JsonToken.VALUE_STRING) return imagePath(p.getText(), problems);
        if (value != JsonToken.START_ARRAY) {
            problems.add("\"image\" is neither a path nor a list of paths");
            return List.of();
        }
        List<String> paths = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t == JsonToken.VALUE_STRING) paths.addAll(imagePath(p.getText(), problems));
            else {
                problems.add("\"image\" lists something other than a path");
                p.skipChildren();
            }
        }
        return paths;
    }

    private static List<String> imagePath(String path, List<String> problems) {
        if (path.isBlank()) problems.add("\"image\" is an empty path");
        return List.of(path);
    }

    /** The first reference of a CoIN "answers" list (strings or {"answer": ...} objects), or null; consumes the value. */
    private static String firstAnswer(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) return null;
        String first = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t == JsonToken.VALUE_STRING && first == null) first = p.getText();
            else if (t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if (first == null && name.equals("answer") && v == JsonToken.VALUE_STRING) first = p.getText();
                    p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        return first;
    }

    /** The turns as {from, value} pairs (null where absent or not a string). */
    private static List<String[]> turns(JsonParser p, JsonToken value, List<String> problems) throws IOException {
        List<String[]> turns = new ArrayList<>();
        if (value != JsonToken.START_ARRAY) {
            problems.add("\"conversations\" is not a list");
            return turns;
        }
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.START_OBJECT) {
                problems.add("turn " + turns.size() + " is not an object");
                p.skipChildren();
                turns.add(new String[2]);
                continue;
            }
            String[] turn = new String[2];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                int slot = name.equals("from") ? 0 : name.equals("value") ? 1 : -1;
                if (slot >= 0 && v == JsonToken.VALUE_STRING) turn[slot] = p.getText();
                else if (slot >= 0) problems.add("turn " + turns.size() + ": \"" + name + "\" is not a string");
                p.skipChildren();
            }
            if (turn[0] == null || turn[1] == null) problems.add("turn " + turns.size() + " lacks \"from\" or \"value\"");
            turns.add(turn);
        }
        return turns;
    }
}
