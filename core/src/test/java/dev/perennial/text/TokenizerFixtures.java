/*
 * Small and modified tokenizer files for tests, written to a temporary folder:
 *   - a SentencePiece ModelProto with <unk>, <s>, </s>, the 256 byte pieces and chosen normal pieces, whose
 *     trainer and normaliser specs tests can replace (valid defaults: BPE, byte_fallback, identity, dummy
 *     prefix, remove_extra_whitespaces false);
 *   - the matching HF tokenizer.json (same ids) with an explicit merge list;
 *   - the golden tokenizer.json with fields replaced (added tokens, Metaspace variants).
 */
package dev.perennial.text;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

final class TokenizerFixtures {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** Id of the first normal piece in the small vocabularies (after <unk>, <s>, </s> and 256 bytes). */
    static final int FIRST_NORMAL = 259;

    private TokenizerFixtures() {}

    static ProtoWriter piece(String text, float score, int type) {
        return new ProtoWriter().string(1, text).float32(2, score).varint(3, type);
    }

    /** The fixed head of the small vocabularies: <unk>, <s>, </s>, <0x00>..<0xFF>. */
    static List<ProtoWriter> headPieces() {
        List<ProtoWriter> pieces = new ArrayList<>(List.of(piece("<unk>", 0, UNKNOWN), piece("<s>", 0, CONTROL), piece("</s>", 0, CONTROL)));
        for (int b = 0; b < 256; b++) pieces.add(piece(Vocabulary.bytePiece(b), 0, BYTE));
        return pieces;
    }

    static ProtoWriter bpeTrainer() {
        return new ProtoWriter().varint(3, 2).varint(35, 1);
    }

    static ProtoWriter identityNormalizer() {
        return new ProtoWriter().string(1, "identity").varint(3, 1).varint(4, 0);
    }

    /** A ModelProto: the given pieces in order, then the trainer and normaliser specs (either may be null). */
    static byte[] spModel(List<ProtoWriter> pieces, ProtoWriter trainer, ProtoWriter normalizer) {
        ProtoWriter model = new ProtoWriter();
        pieces.forEach(p -> model.message(1, p));
        if (trainer != null) model.message(2, trainer);
        if (normalizer != null) model.message(3, normalizer);
        return model.toByteArray();
    }

    /** A small valid model: the head pieces, then normal pieces with their scores (ids from FIRST_NORMAL on). */
    static byte[] spModel(Map<String, Float> normal) {
        List<ProtoWriter> pieces = headPieces();
        normal.forEach((p, score) -> pieces.add(piece(p, score, NORMAL)));
        return spModel(pieces, bpeTrainer(), identityNormalizer());
    }

    /** A small tokenizer.json with the same ids as spModel(normal pieces) and the given merges, in order. */
    static ObjectNode hfJson(List<String> normal, List<String> merges) {
        ObjectNode root = Golden.JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        List<String> all = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) all.add(Vocabulary.bytePiece(b));
        all.addAll(normal);
        for (int id = 0; id < 3; id++) added.addObject().put("id", id).put("content", all.get(id)).put("special", true);
        ArrayNode norm = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        norm.addObject().put("type", "Prepend").put("prepend", "\u2581");
        norm.addObject().put("type", "Replace").put("content", "\u2581").putObject("pattern").put("String", " ");
        root.putNull("pre_tokenizer");
        ArrayNode dec = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        dec.addObject().put("type", "Replace").put("content", " ").putObject("pattern").put("String", "\u2581");
        dec.addObject().put("type", "ByteFallback");
        dec.addObject().put("type", "Fuse");
        dec.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < all.size(); id++) vocab.put(all.get(id), id);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        return root;
    }

    /** The golden tokenizer.json as a tree, changed by edit. */
    static ObjectNode goldenJson(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) Golden.JSON.readTree(Golden.TOKENIZER_JSON.toFile());
        edit.accept(root);
        return root;
    }

    /** llava-hf's additions to the LLaMA vocabulary: <image> = 32000 and <pad> = 32001, special, not normalised. */
    static void addLlavaHfTokens(ObjectNode root) {
        addToken(root, 32000, "<image>", true);
        addToken(root, 32001, "<pad>", true);
    }

    static ObjectNode addToken(ObjectNode root, int id, String content, boolean special) {
        return ((ArrayNode) root.get("added_tokens")).addObject().put("id", id).put("content", content)
                .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", special);
    }

    static Path write(Path dir, String name, ObjectNode json) throws IOException {
        return Files.write(dir.resolve(name), Golden.JSON.writeValueAsBytes(json));
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    static Tokenizer load(Path dir, String name, ObjectNode json) throws IOException {
        return Tokenizer.load(write(dir, name, json));
    }

    static Tokenizer load(Path dir, String name, byte[] bytes) throws IOException {
        return Tokenizer.load(write(dir, name, bytes));
    }
}
