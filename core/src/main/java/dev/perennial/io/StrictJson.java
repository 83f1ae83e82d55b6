/*
 * The JSON parser for checkpoint headers and shard indexes: Jackson with duplicate keys rejected and
 * trailing content rejected, and every parse failure turned into a TensorFormatException.
 *
 * Duplicate detection matters because a duplicated tensor name in a safetensors header would otherwise be
 * silently resolved to the last entry (Jackson's tree model keeps the last value) while its bytes stay in the
 * data section. Jackson reports a duplicate as a parse error whose message starts with "Duplicate field";
 * that is the only way it identifies one, so the defect is classified from it (a test pins the behaviour).
 */
package dev.perennial.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.perennial.io.TensorFormatException.Defect;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

final class StrictJson {
    static final ObjectMapper MAPPER = JsonMapper.builder(
                    JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {}

    /** Parses UTF-8 {@code json}, which must be one JSON object; {@code what} names it in messages ("header"). */
    static JsonNode parseObject(byte[] json, Path file, String what) throws TensorFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(json)).toString();
        } catch (CharacterCodingException e) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, what + " is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            Defect defect = msg.startsWith("Duplicate field") ? Defect.DUPLICATE_NAME : Defect.BAD_HEADER;
            throw new TensorFormatException(file, defect, what + " is not valid JSON: " + msg + where(e.getLocation()), e);
        }
        if (!root.isObject()) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, what + " is not a JSON object");
        }
        return root;
    }

    private static String where(JsonLocation loc) {
        return loc == null ? "" : " (at character " + loc.getCharOffset() + ")";
    }
}
