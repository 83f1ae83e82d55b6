/*
 * A synthetic LLaVA dataset whose every sample follows from its index, so tests can stream or randomly read
 * large files and check each sample without keeping the expected ones: varying conversation lengths (1-3 rounds,
 * answers of 0-200 repeated words), an image on two samples out of three, escapes and non-ASCII text in values.
 */
package dev.perennial.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.perennial.text.ConversationTurn;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

final class GeneratedDataset {
    private static final JsonFactory JSON = new JsonFactory();

    private GeneratedDataset() {}

    static LlavaSample sample(int i) {
        List<ConversationTurn> turns = new ArrayList<>();
        for (int r = 0; r <= i % 3; r++) {
            turns.add(ConversationTurn.human((r == 0 && i % 3 != 2 ? "<image>\n" : "") + "Question " + i + "." + r + " \"é\\ ✓\"?"));
            turns.add(ConversationTurn.gpt("Answer " + i + ":" + " word".repeat((i * 7 + r) % 200)));
        }
        List<String> images = i % 3 == 2 ? List.of() : List.of("images/" + i + ".jpg");
        return new LlavaSample(i, "s" + i, images, turns);
    }

    static void write(Writer out, int n) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            for (int i = 0; i < n; i++) {
                LlavaSample s = sample(i);
                g.writeRaw('\n');
                g.writeStartObject();
                g.writeStringField("id", s.id());
                if (s.hasImage()) g.writeStringField("image", s.images().get(0));
                g.writeArrayFieldStart("conversations");
                for (ConversationTurn t : s.conversations()) {
                    g.writeStartObject();
                    g.writeStringField("from", t.from());
                    g.writeStringField("value", t.value());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeRaw('\n');
            g.writeEndArray();
        }
    }

    static String json(int n) {
        StringWriter out = new StringWriter();
        try {
            write(out, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static Path file(Path file, int n) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(out, n);
        }
        return file;
    }
}
