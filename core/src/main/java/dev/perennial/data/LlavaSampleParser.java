/*
 * Reads one sample object from a Jackson streaming parser: "id", "image" (a string or a list of strings; null or
 * absent = no image) and "conversations" (a list of {"from", "value"} objects); other fields, here and in turns,
 * are skipped without being built. Both the streaming reader and random access through SampleIndex use it, so
 * a sample reads the same either way.
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
                default -> { }
            }
            p.skipChildren();
        }
        if (turns == null && problems.isEmpty()) problems.add("no \"conversations\"");
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
