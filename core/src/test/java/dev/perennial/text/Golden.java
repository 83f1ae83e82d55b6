/*
 * The tokenizer golden set (test resources golden/tokenizer/, copied from the shared golden set;
 * docs/methods/llava-numerics.md, "Tokenizer golden"): the two tokenizer files, loaded once per test JVM, and the cases
 * of tokenizer-golden.json with the conventions block.
 */
package dev.perennial.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;

final class Golden {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path DIR = dir();
    static final Path TOKENIZER_JSON = DIR.resolve("tokenizer.json");
    static final Path SENTENCEPIECE_MODEL = DIR.resolve("llama-sp-reconstructed.model");
    static final JsonNode FILE = read(DIR.resolve("tokenizer-golden.json"));
    static final JsonNode CONVENTIONS = FILE.get("conventions");
    static final List<Case> CASES = StreamSupport.stream(FILE.get("cases").spliterator(), false).map(Case::new).toList();

    private static Tokenizer fromJson, fromModel;

    private Golden() {}

    /** One golden case: text, ids (with <s>), ids without <s>, pieces, decoded, and for template cases the image forms. */
    record Case(String text, int[] ids, int[] idsWithoutBos, List<String> pieces, String decoded, int[] llavaOriginalIds, int[] llavaHfIds) {
        Case(JsonNode c) {
            this(c.get("text").asText(), ints(c.get("ids")), ints(c.get("ids_without_bos")), strings(c.get("pieces")),
                    c.get("decoded").asText(), c.has("llava_original_ids") ? ints(c.get("llava_original_ids")) : null,
                    c.has("llava_hf_ids") ? ints(c.get("llava_hf_ids")) : null);
        }

        @Override
        public String toString() {   // parameterised test names
            return JSON.valueToTree(text).toString();
        }
    }

    /** The case with exactly this text. */
    static Case of(String text) {
        return CASES.stream().filter(c -> c.text().equals(text)).findFirst().orElseThrow(() -> new AssertionError("no golden case " + text));
    }

    static int conventionId(String key) {
        return CONVENTIONS.get(key).asInt();
    }

    static synchronized Tokenizer fromJson() {
        if (fromJson == null) fromJson = load(TOKENIZER_JSON);
        return fromJson;
    }

    static synchronized Tokenizer fromModel() {
        if (fromModel == null) fromModel = load(SENTENCEPIECE_MODEL);
        return fromModel;
    }

    /** Both loaders, named for parameterised tests. */
    static List<Named> loaders() {
        return List.of(new Named("tokenizer.json", fromJson()), new Named("tokenizer.model", fromModel()));
    }

    record Named(String name, Tokenizer tokenizer) {
        @Override
        public String toString() { return name; }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static byte[] concatBytes(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Tokenizer load(Path p) {
        try {
            return Tokenizer.load(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path dir() {
        try {
            return Path.of(Golden.class.getResource("/golden/tokenizer").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
