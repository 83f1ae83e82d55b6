/*
 * Strict reading of one JSON object of a run file (RunPlan and every strategy's settings): every key must be known,
 * every value of the right type, and an error names the key with its path ("lora.rnak", "tasks.list[0].trian",
 * "adapt_inf.clusters must be an integer"), so a typo never falls back to a default silently. Relative paths are
 * resolved against the run file's folder.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of one JSON object of a run file: {@code known} rejects unknown keys, the typed getters
 * ({@code integer}, {@code integers}, {@code number}, {@code bool}, {@code string}, {@code path}) reject values of the wrong type, and
 * every error names the key with its path (e.g. {@code lora.rank}); relative paths resolve against the run file's
 * folder.
 * <p>Thread-safe for reads: its fields are final and its methods only read the JSON tree ({@code object} returns a new
 * instance); nothing may modify that tree meanwhile.
 */
public final class JsonSettings {
    private final JsonNode node;
    private final String path;          // "" at the top, else "lora." etc.
    private final Path base;

    JsonSettings(JsonNode node, String path, Path base) {
        this.node = node == null ? new ObjectMapper().createObjectNode() : node;
        this.path = path;
        this.base = base;
    }

    /** Empty settings (every value its default). */
    public static JsonSettings empty(Path base) { return new JsonSettings(null, "", base); }

    JsonNode node() { return node; }

    public boolean has(String key) { return node.has(key); }

    /** Every key must be one of {@code allowed}; returns this. */
    public JsonSettings known(Set<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("unknown key \"" + path + k + "\" (known here: " + new TreeSet<>(allowed) + ")");
            }
        }
        return this;
    }

    /** The object under {@code key} (empty when absent). */
    public JsonSettings object(String key) {
        JsonNode n = node.get(key);
        if (n != null && !n.isObject()) throw new IllegalArgumentException("\"" + path + key + "\" must be an object");
        return new JsonSettings(n, path + key + ".", base);
    }

    public Path path(String key, boolean required) {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalArgumentException("\"" + path + key + "\" is required");
            return null;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("\"" + path + key + "\" must be a path string");
        return base.resolve(n.asText()).normalize();
    }

    /** A string; {@code def} null makes it required. */
    public String string(String key, String def) {
        JsonNode n = node.get(key);
        if (n == null) {
            if (def == null) throw new IllegalArgumentException("\"" + path + key + "\" is required");
            return def;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("\"" + path + key + "\" must be a string");
        return n.asText();
    }

    public int integer(String key, int def) {
        JsonNode n = node.get(key);
        if (n == null) return def;
        // canConvertToInt: asInt() of 4294967297 is 1, which a run used to take without a word
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + path + key + "\" must be an integer in " + Integer.MIN_VALUE + ".." + Integer.MAX_VALUE
                    + ", got " + n);
        }
        return n.asInt();
    }

    /** A list of integers (e.g. decoder layers); {@code def} when absent. */
    public java.util.List<Integer> integers(String key, java.util.List<Integer> def) {
        JsonNode n = node.get(key);
        if (n == null) return def;
        if (!n.isArray()) throw new IllegalArgumentException("\"" + path + key + "\" must be a list of integers, got " + n);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw new IllegalArgumentException("\"" + path + key + "\" must be a list of integers, got " + n);
            }
            out.add(e.asInt());
        }
        return java.util.List.copyOf(out);
    }

    public double number(String key, double def) {
        JsonNode n = node.get(key);
        if (n == null) return def;
        if (!n.isNumber()) throw new IllegalArgumentException("\"" + path + key + "\" must be a number");
        return n.asDouble();
    }

    public boolean bool(String key, boolean def) {
        JsonNode n = node.get(key);
        if (n == null) return def;
        if (!n.isBoolean()) throw new IllegalArgumentException("\"" + path + key + "\" must be true or false");
        return n.asBoolean();
    }

    /** The full name of {@code key} here, for messages. */
    public String name(String key) { return path + key; }
}
