/*
 * Reads a SentencePiece tokenizer.model: a serialized ModelProto (google/sentencepiece
 * src/sentencepiece_model.proto), parsed by hand with ProtobufReader. docs/methods/llava-numerics.md, "Tokenizer golden":
 * llama-sp-reconstructed.model is such a file (BPE, byte_fallback, identity normaliser, dummy prefix).
 *
 * Fields used (others are skipped, as protobuf readers do):
 *   ModelProto      1 pieces (repeated), 2 trainer_spec, 3 normalizer_spec
 *   SentencePiece   1 piece, 2 score (float), 3 type: NORMAL=1 (default), UNKNOWN=2, CONTROL=3, USER_DEFINED=4,
 *                   UNUSED=5, BYTE=6
 *   TrainerSpec     3 model_type (default UNIGRAM=1; must be BPE=2), 24 treat_whitespace_as_suffix (must be
 *                   false), 35 byte_fallback (must be true), 46 bos_piece "<s>", 47 eos_piece "</s>",
 *                   48 pad_piece "<pad>" (defaults as in the .proto)
 *   NormalizerSpec  1 name, 2 precompiled_charsmap, 3 add_dummy_prefix (default true),
 *                   4 remove_extra_whitespaces (default true; must be false, as in LLaMA),
 *                   5 escape_whitespaces (default true; must be true), 6 normalization_rule_tsv
 * The normaliser must be the identity: a non-empty precompiled_charsmap or rule table (nmt_nfkc, nfkc, ...)
 * would need NFKC, which is not implemented, so such files are refused rather than tokenized differently.
 *
 * Piece types map to the tokenizer like this: NORMAL pieces are merge targets (ScoredPieceMerges) and
 * starting symbols; UNKNOWN (exactly one) and CONTROL are special tokens, never produced from text; BYTE pieces
 * are the byte fallback; USER_DEFINED pieces are matched verbatim in the text. SentencePiece itself puts a
 * single dummy prefix at the start of the text and treats a user-defined piece as an unmergeable symbol,
 * which SpaceHandling.Prefix.SENTENCEPIECE reproduces. UNUSED pieces are refused: SentencePiece merges into
 * them and then re-splits them in a way that depends on merge history, and LLaMA has none.
 */
package dev.perennial.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class SentencePieceModel {
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final int BPE = 2;
    private static final List<String> MODEL_TYPES = List.of("?", "UNIGRAM", "BPE", "WORD", "CHAR");

    private SentencePieceModel() {}

    static Tokenizer parse(Path file, byte[] bytes) throws TokenizerFormatException {
        ProtobufReader r = new ProtobufReader(file, bytes);
        List<String> pieces = new ArrayList<>();
        Map<String, Float> normalScores = new HashMap<>();
        Map<String, Integer> normalIds = new HashMap<>(), userDefined = new HashMap<>();
        BitSet special = new BitSet();
        String unk = null;
        Trainer trainer = new Trainer();
        Normalizer normalizer = new Normalizer();
        while (r.hasMore()) {
            int tag = r.tag();
            switch (ProtobufReader.field(tag)) {
                case 1 -> {
                    int id = pieces.size();
                    Piece p = piece(file, r.message(tag), id);
                    pieces.add(p.text);
                    switch (p.type) {
                        case NORMAL -> {
                            normalScores.put(p.text, p.score);
                            normalIds.put(p.text, id);
                        }
                        case UNKNOWN -> {
                            if (unk != null) throw new TokenizerFormatException(file, "two UNKNOWN pieces, '" + unk + "' and '" + p.text + "'");
                            unk = p.text;
                            special.set(id);
                        }
                        case CONTROL -> special.set(id);
                        case USER_DEFINED -> userDefined.put(p.text, id);
                        case BYTE -> { }
                        case UNUSED -> throw new TokenizerFormatException(file, "piece " + id + " '" + p.text
                                + "' is UNUSED; models with unused pieces are not supported");
                        default -> throw new TokenizerFormatException(file, "piece " + id + " '" + p.text + "' has unknown type " + p.type);
                    }
                }
                case 2 -> trainer.read(r.message(tag));
                case 3 -> normalizer.read(r.message(tag));
                default -> r.skip(tag);
            }
        }
        if (pieces.isEmpty()) throw new TokenizerFormatException(file, "no pieces: not a SentencePiece model");
        if (unk == null) throw new TokenizerFormatException(file, "no UNKNOWN piece");
        trainer.check(file);
        normalizer.check(file);

        Vocabulary vocabulary = new Vocabulary(file, pieces, special, unk, trainer.bos, trainer.eos, trainer.pad);
        BpeEncoder bpe = new BpeEncoder(normalIds, new ScoredPieceMerges(normalScores, normalIds), vocabulary.byteIds());
        SpaceHandling.Prefix prefix = normalizer.addDummyPrefix ? SpaceHandling.Prefix.SENTENCEPIECE : SpaceHandling.Prefix.NONE;
        return new Tokenizer(vocabulary, bpe, new VerbatimTokens(userDefined),
                new SpaceHandling(prefix, false, normalizer.addDummyPrefix));
    }

    private record Piece(String text, float score, int type) {}

    private static Piece piece(Path file, ProtobufReader r, int id) throws TokenizerFormatException {
        String text = null;
        float score = 0;
        int type = NORMAL;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (ProtobufReader.field(tag)) {
                case 1 -> text = r.string(tag);
                case 2 -> score = r.float32(tag);
                case 3 -> type = r.int32(tag);
                default -> r.skip(tag);
            }
        }
        if (text == null || text.isEmpty()) throw new TokenizerFormatException(file, "piece " + id + " has no text");
        return new Piece(text, score, type);
    }

    /** The TrainerSpec fields that matter when encoding, with the .proto defaults. */
    private static final class Trainer {
        int modelType = 1;
        boolean byteFallback, whitespaceAsSuffix;
        String bos = "<s>", eos = "</s>", pad = "<pad>";

        void read(ProtobufReader r) throws TokenizerFormatException {
            while (r.hasMore()) {
                int tag = r.tag();
                switch (ProtobufReader.field(tag)) {
                    case 3 -> modelType = r.int32(tag);
                    case 24 -> whitespaceAsSuffix = r.bool(tag);
                    case 35 -> byteFallback = r.bool(tag);
                    case 46 -> bos = r.string(tag);
                    case 47 -> eos = r.string(tag);
                    case 48 -> pad = r.string(tag);
                    default -> r.skip(tag);
                }
            }
        }

        void check(Path file) throws TokenizerFormatException {
            if (modelType != BPE) {
                String name = modelType > 0 && modelType < MODEL_TYPES.size() ? MODEL_TYPES.get(modelType) : "unknown";
                throw new TokenizerFormatException(file, "trainer_spec.model_type is " + name + " (" + modelType
                        + "); only BPE (2), the LLaMA tokenizer, is supported");
            }
            if (!byteFallback) throw new TokenizerFormatException(file, "trainer_spec.byte_fallback is false; LLaMA tokenizers use byte fallback");
            if (whitespaceAsSuffix) throw new TokenizerFormatException(file, "trainer_spec.treat_whitespace_as_suffix is true; not supported");
        }
    }

    /** The NormalizerSpec fields, with the .proto defaults. */
    private static final class Normalizer {
        String name = "";
        int charsmapBytes, ruleBytes;
        boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;

        void read(ProtobufReader r) throws TokenizerFormatException {
            while (r.hasMore()) {
                int tag = r.tag();
                switch (ProtobufReader.field(tag)) {
                    case 1 -> name = r.string(tag);
                    case 2 -> charsmapBytes = r.bytesLength(tag);
                    case 3 -> addDummyPrefix = r.bool(tag);
                    case 4 -> removeExtraWhitespaces = r.bool(tag);
                    case 5 -> escapeWhitespaces = r.bool(tag);
                    case 6 -> ruleBytes = r.bytesLength(tag);
                    default -> r.skip(tag);
                }
            }
        }

        void check(Path file) throws TokenizerFormatException {
            if (charsmapBytes > 0 || ruleBytes > 0 || !(name.isEmpty() || name.equals("identity"))) {
                throw new TokenizerFormatException(file, "normalizer_spec '" + name + "' needs a character normalisation "
                        + "(NFKC or a rule table), which is not implemented; LLaMA uses 'identity'");
            }
            if (removeExtraWhitespaces) {
                throw new TokenizerFormatException(file, "normalizer_spec.remove_extra_whitespaces is true; not supported (LLaMA sets false)");
            }
            if (!escapeWhitespaces) {
                throw new TokenizerFormatException(file, "normalizer_spec.escape_whitespaces is false; not supported (spaces must become \u2581)");
            }
        }
    }
}
