/*
 * Typed, defaulting access to one JSON configuration object (a Hugging Face config.json or a nested
 * text_config / vision_config inside it).
 *
 * Hugging Face's save_pretrained omits every value equal to its default (docs/methods/llava-numerics.md, "The tiny model"),
 * so every getter takes the default the reference implementation would apply. Wrong types and syntax errors
 * become ModelConfigException naming the file, the dotted key and (for syntax) line and column.
 */
package dev.perennial.llava;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Typed access with defaults to one JSON object of a Hugging Face {@code config.json} (or a nested {@code text_config}
 * or {@code vision_config}); wrong types and JSON syntax errors become {@link ModelConfigException}s naming the file
 * and the dotted key.
 * <p>Thread-safe for reading: its fields are final, the parsed JSON tree is only read after {@code read}, and the
 * shared Jackson {@code ObjectMapper} is thread-safe once configured.
 */
public final class JsonConfig {
    private static final ObjectMapper MAPPER = JsonMapper.builder(
            JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build()).build();

    private final Path file;
    private final String prefix;     // "" or "text_config."
    private final JsonNode node;

    private JsonConfig(Path file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    /** Reads {@code file}, which must hold one JSON object. */
    public static JsonConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "configuration file not found");
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new ModelConfigException(file, null, "invalid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (java.io.CharConversionException e) {   // Jackson guessed UTF-16/32 from the first bytes and failed
            throw new ModelConfigException(file, null, "invalid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelConfigException(file, null, "not a JSON object");
        return new JsonConfig(file, "", root);
    }

    Path file() { return file; }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** The nested object at {@code key}, or an empty one when absent. */
    public JsonConfig child(String key) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return new JsonConfig(file, prefix + key + ".", MAPPER.createObjectNode());
        if (!v.isObject()) throw error(key, "must be a JSON object");
        return new JsonConfig(file, prefix + key + ".", v);
    }

    /** The nested object at {@code key} when present (a full CLIPModel config), else this object (CLIPVisionModel). */
    JsonConfig childOrSelf(String key) throws ModelConfigException {
        return has(key) ? child(key) : this;
    }

    public int integer(String key, int dflt) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw error(key, "must be an integer, got " + v);
        return v.intValue();
    }

    /** A required positive integer. */
    int positive(String key) throws ModelConfigException {
        if (!has(key)) throw error(key, "is required");
        int v = integer(key, 0);
        if (v <= 0) throw error(key, "must be positive, got " + v);
        return v;
    }

    public int positive(String key, int dflt) throws ModelConfigException {
        int v = integer(key, dflt);
        if (v <= 0) throw error(key, "must be positive, got " + v);
        return v;
    }

    public double number(String key, double dflt) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw error(key, "must be a number, got " + v);
        return v.doubleValue();
    }

    boolean bool(String key, boolean dflt) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw error(key, "must be true or false, got " + v);
        return v.booleanValue();
    }

    public String string(String key, String dflt) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw error(key, "must be a string, got " + v);
        return v.textValue();
    }

    /** The first element of a string array (HF "architectures"), or null. */
    String firstString(String key) throws ModelConfigException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return null;
        if (!v.isArray()) throw error(key, "must be an array of strings");
        return v.size() == 0 ? null : v.get(0).asText();
    }

    /** The raw node (for keys whose mere presence matters, such as rope_scaling). */
    JsonNode raw(String key) {
        return node.get(key);
    }

    public ModelConfigException error(String key, String message) {
        return new ModelConfigException(file, prefix + key, message);
    }
}
