/*
 * Malformed or unsupported tokenizer files are refused with a TokenizerFormatException that names the file
 * and says what is wrong in one line: tokenizer.json files built from the small fixture with one defect each,
 * and SentencePiece models built field by field (ProtoWriter) or cut short.
 */
package dev.perennial.text;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MalformedTokenizerTest {
    private static final List<String> PIECES = List.of("\u2581", "a", "\u2581a");

    @TempDir
    Path dir;

    private void assertRejected(Path file, String detail) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    // ---- tokenizer.json

    private void assertJsonRejected(Consumer<ObjectNode> defect, String detail) throws IOException {
        ObjectNode json = TokenizerFixtures.hfJson(PIECES, List.of("\u2581 a"));
        defect.accept(json);
        assertRejected(TokenizerFixtures.write(dir, "tokenizer.json", json), detail);
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void theFixtureItselfLoads() throws IOException {
        Tokenizer json = TokenizerFixtures.load(dir, "tokenizer.json", TokenizerFixtures.hfJson(PIECES, List.of("\u2581 a")));
        assertEquals(262, json.vocabSize());
        assertEquals(261, json.encode("a", false)[0]);
        Tokenizer model = TokenizerFixtures.load(dir, "tokenizer.model", TokenizerFixtures.spModel(Map.of("\u2581", 0f, "a", 0f)));
        assertEquals(261, model.vocabSize());
    }

    @Test
    void jsonSyntax() throws IOException {
        assertRejected(TokenizerFixtures.write(dir, "cut.json", "{\"model\": {\"type\": ".getBytes(StandardCharsets.UTF_8)), "not valid JSON");
        assertRejected(TokenizerFixtures.write(dir, "array.json", "[1, 2]".getBytes(StandardCharsets.UTF_8)), "not a JSON object");
        assertRejected(TokenizerFixtures.write(dir, "empty.json", new byte[0]), "not a JSON object");
        assertRejected(TokenizerFixtures.write(dir, "dup.json",
                "{\"model\": {\"vocab\": {\"a\": 0, \"a\": 1}}}".getBytes(StandardCharsets.UTF_8)), "Duplicate field 'a'");
    }

    @Test
    void jsonModel() throws IOException {
        assertJsonRejected(root -> root.remove("model"), "'model' is missing or not an object");
        assertJsonRejected(root -> model(root).put("type", "WordPiece"), "model.type is 'WordPiece'; only BPE");
        assertJsonRejected(root -> model(root).put("byte_fallback", false), "model.byte_fallback is not true");
        assertJsonRejected(root -> model(root).put("dropout", 0.1), "model.dropout is set");
        assertJsonRejected(root -> model(root).put("continuing_subword_prefix", "##"), "model.continuing_subword_prefix is set");
        assertJsonRejected(root -> model(root).put("ignore_merges", true), "model.ignore_merges is true");
        assertJsonRejected(root -> model(root).put("unk_token", "<unk2>"), "the unknown token '<unk2>' is not in the vocabulary");
        assertJsonRejected(root -> model(root).remove("merges"), "'merges' is missing or not an array");
        assertJsonRejected(root -> ((ObjectNode) model(root).get("vocab")).put("z", 9999), "model.vocab ids must be 0..262, each once; 'z' has 9999");
        assertJsonRejected(root -> ((ObjectNode) model(root).get("vocab")).put("z", 5), "model.vocab ids must be 0..262, each once; 'z' has 5");
        assertJsonRejected(root -> ((ObjectNode) model(root).get("vocab")).put("z", "x"), "model.vocab['z'] is not a non-negative integer id");
    }

    @Test
    void jsonMissingBytePiece() throws IOException {
        assertJsonRejected(root -> {
            ObjectNode vocab = (ObjectNode) model(root).get("vocab");
            vocab.set("Q", vocab.remove("<0x41>"));
        }, "byte-fallback piece <0x41> is missing");
    }

    @Test
    void jsonMerges() throws IOException {
        assertJsonRejected(root -> ((ArrayNode) model(root).get("merges")).add("\u2581 a a"), "merge 1 is not a pair of pieces");
        assertJsonRejected(root -> ((ArrayNode) model(root).get("merges")).addArray().add("a"), "merge 1 is not a pair of pieces");
        assertJsonRejected(root -> ((ArrayNode) model(root).get("merges")).add("a \u2581"), "merge 1 ('a' '\u2581'): 'a\u2581' is not in the vocabulary");
    }

    @Test
    void jsonAddedTokens() throws IOException {
        assertJsonRejected(root -> TokenizerFixtures.addToken(root, 1, "<bos>", true), "added token 1 '<bos>' differs from the vocabulary's piece '<s>'");
        assertJsonRejected(root -> TokenizerFixtures.addToken(root, 263, "<image>", true), "expected 262, found 263");
        assertJsonRejected(root -> TokenizerFixtures.addToken(root, 262, "<image>", true).put("lstrip", true), "has lstrip=true");
        assertJsonRejected(root -> TokenizerFixtures.addToken(root, 262, "<image>", true).put("normalized", true), "has normalized=true");
        assertJsonRejected(root -> {
            TokenizerFixtures.addToken(root, 262, "<image>", true);
            TokenizerFixtures.addToken(root, 262, "<pad>", true);
        }, "added token id 262 appears twice");
        assertJsonRejected(root -> TokenizerFixtures.addToken(root, 262, "a", false), "piece 'a' has two ids, 260 and 262");
    }

    @Test
    void jsonNormalizerPreTokenizerAndDecoder() throws IOException {
        assertJsonRejected(root -> ((ArrayNode) root.get("normalizer").get("normalizers")).addObject().put("type", "NFKC"),
                "unsupported normalizer step {\"type\":\"NFKC\"}");
        assertJsonRejected(root -> ((ArrayNode) root.get("normalizer").get("normalizers")).remove(1),
                "the normalizer does not replace spaces with \u2581");
        assertJsonRejected(root -> root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581"),
                "unsupported normalizer/pre_tokenizer combination");
        assertJsonRejected(root -> root.putNull("normalizer"), "unsupported normalizer/pre_tokenizer combination");
        assertJsonRejected(root -> {
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", "sometimes");
        }, "unknown Metaspace prepend_scheme 'sometimes'");
        assertJsonRejected(root -> root.putNull("decoder"), "unsupported decoder null");
        assertJsonRejected(root -> ((ArrayNode) root.get("decoder").get("decoders")).remove(1), "unsupported decoder");
        assertJsonRejected(root -> ((ObjectNode) root.get("decoder").get("decoders").get(3)).put("start", 2), "unsupported decoder");
    }

    // ---- tokenizer.model

    private Path model(String name, byte[] bytes) throws IOException {
        return TokenizerFixtures.write(dir, name, bytes);
    }

    private static byte[] withPieces(List<ProtoWriter> extra, ProtoWriter trainer, ProtoWriter normalizer) {
        List<ProtoWriter> pieces = TokenizerFixtures.headPieces();
        pieces.addAll(extra);
        return TokenizerFixtures.spModel(pieces, trainer, normalizer);
    }

    private static byte[] withSpecs(ProtoWriter trainer, ProtoWriter normalizer) {
        return withPieces(List.of(TokenizerFixtures.piece("\u2581", 0, TokenizerFixtures.NORMAL)), trainer, normalizer);
    }

    @Test
    void protobufWireFormat() throws IOException {
        byte[] golden = Files.readAllBytes(Golden.SENTENCEPIECE_MODEL);
        // independent walk over the golden file's first pieces: tag 0x0a, one-byte length, content
        int at = 0;
        while (at + 2 + golden[at + 1] <= 1000) {
            assertTrue(golden[at] == 0x0a && golden[at + 1] > 0);
            at += 2 + golden[at + 1];
        }
        assertRejected(model("cut.model", Arrays.copyOf(golden, 1000)), "malformed protobuf at byte " + (at + 1) + ": field 1 declares "
                + golden[at + 1] + " bytes, only " + (1000 - at - 2) + " remain");
        assertRejected(model("empty.model", new byte[0]), "no pieces: not a SentencePiece model");
        assertRejected(model("varint.model", new byte[]{0x0a, (byte) 0x80}), "malformed protobuf at byte 1: truncated varint");
        byte[] tooLong = new byte[12];
        Arrays.fill(tooLong, (byte) 0xff);
        tooLong[0] = (9 << 3);   // an unknown varint field, skipped by reading its value
        assertRejected(model("long.model", tooLong), "malformed protobuf at byte 1: varint longer than 10 bytes");
        assertRejected(model("wire.model", new ProtoWriter().varint(1, 5).toByteArray()), "field 1 has wire type 0, expected 2");
        assertRejected(model("group.model", new ProtoWriter().raw((byte) ((7 << 3) | 3)).toByteArray()), "field 7 has unsupported wire type 3");
        assertRejected(model("tag.model", new byte[]{0x02}), "invalid field number 0 (tag 2)");
        assertRejected(model("float.model", new ProtoWriter().message(1, new ProtoWriter().string(1, "a").raw((byte) 0x15, (byte) 0)).toByteArray()),
                "truncated: 4 bytes needed, 1 remain");
        byte[] badUtf8 = new ProtoWriter().message(1, new ProtoWriter().bytes(1, new byte[]{(byte) 0xC3})).toByteArray();
        assertRejected(model("utf8.model", badUtf8), "field 1 is not valid UTF-8");
    }

    @Test
    void modelTypeAndTrainerSpec() throws IOException {
        assertRejected(model("unigram.model", withSpecs(new ProtoWriter().varint(35, 1), TokenizerFixtures.identityNormalizer())),
                "trainer_spec.model_type is UNIGRAM (1); only BPE (2)");
        assertRejected(model("notrainer.model", withSpecs(null, TokenizerFixtures.identityNormalizer())), "trainer_spec.model_type is UNIGRAM (1)");
        assertRejected(model("char.model", withSpecs(new ProtoWriter().varint(3, 4).varint(35, 1), TokenizerFixtures.identityNormalizer())),
                "trainer_spec.model_type is CHAR (4)");
        assertRejected(model("nobytes.model", withSpecs(new ProtoWriter().varint(3, 2), TokenizerFixtures.identityNormalizer())),
                "trainer_spec.byte_fallback is false");
        assertRejected(model("suffix.model", withSpecs(TokenizerFixtures.bpeTrainer().varint(24, 1), TokenizerFixtures.identityNormalizer())),
                "treat_whitespace_as_suffix is true");
        assertRejected(model("bos.model", withSpecs(TokenizerFixtures.bpeTrainer().string(46, "<bos>"), TokenizerFixtures.identityNormalizer())),
                "the begin-of-sequence token '<bos>' is not in the vocabulary");
    }

    @Test
    void normalizerSpec() throws IOException {
        ProtoWriter nfkc = new ProtoWriter().string(1, "nmt_nfkc").bytes(2, new byte[]{1, 2, 3}).varint(3, 1).varint(4, 0);
        assertRejected(model("nfkc.model", withSpecs(TokenizerFixtures.bpeTrainer(), nfkc)), "normalizer_spec 'nmt_nfkc' needs a character normalisation");
        assertRejected(model("nonorm.model", withSpecs(TokenizerFixtures.bpeTrainer(), null)), "remove_extra_whitespaces is true");
        assertRejected(model("rews.model", withSpecs(TokenizerFixtures.bpeTrainer(), new ProtoWriter().string(1, "identity"))),
                "remove_extra_whitespaces is true");
        assertRejected(model("escape.model", withSpecs(TokenizerFixtures.bpeTrainer(), TokenizerFixtures.identityNormalizer().varint(5, 0))),
                "escape_whitespaces is false");
    }

    @Test
    void pieces() throws IOException {
        ProtoWriter trainer = TokenizerFixtures.bpeTrainer();
        ProtoWriter norm = TokenizerFixtures.identityNormalizer();
        assertRejected(model("unused.model", withPieces(List.of(TokenizerFixtures.piece("x", 0, TokenizerFixtures.UNUSED)), trainer, norm)),
                "piece 259 'x' is UNUSED");
        assertRejected(model("type.model", withPieces(List.of(TokenizerFixtures.piece("x", 0, 9)), trainer, norm)),
                "piece 259 'x' has unknown type 9");
        assertRejected(model("unk2.model", withPieces(List.of(TokenizerFixtures.piece("<unk2>", 0, TokenizerFixtures.UNKNOWN)), trainer, norm)),
                "two UNKNOWN pieces, '<unk>' and '<unk2>'");
        assertRejected(model("dup.model", withPieces(List.of(TokenizerFixtures.piece("<s>", 0, TokenizerFixtures.NORMAL)), trainer, norm)),
                "piece '<s>' has two ids, 1 and 259");
        assertRejected(model("empty-piece.model", withPieces(List.of(new ProtoWriter().float32(2, 0)), trainer, norm)),
                "piece 259 has no text");
        List<ProtoWriter> noUnk = TokenizerFixtures.headPieces().subList(1, 259);
        assertRejected(model("nounk.model", TokenizerFixtures.spModel(noUnk, trainer, norm)), "no UNKNOWN piece");
        List<ProtoWriter> noBytes = TokenizerFixtures.headPieces().subList(0, 3);
        assertRejected(model("nobyte.model", TokenizerFixtures.spModel(noBytes, trainer, norm)), "byte-fallback piece <0x00> is missing");
    }
}
