/*
 * The LLaMA tokenizer (SentencePiece BPE, 32000 pieces, byte fallback; docs/methods/llava-numerics.md, "Real LLaVA-1.5
 * preprocessing and prompt facts" and "Tokenizer golden"), in plain Java, loaded from either file format:
 *   - an HF tokenizer.json (HfTokenizerJson), as shipped with llava-hf checkpoints;
 *   - a SentencePiece tokenizer.model (SentencePieceModel), as shipped with the original LLaMA/Vicuna/LLaVA.
 * Both give the golden ids; the formats differ only in how merges are ranked (MergeRule) and where the dummy
 * prefix goes when the text contains verbatim tokens (SpaceHandling).
 *
 * encode: cut the text at verbatim tokens (VerbatimTokens: HF added tokens beyond the model vocabulary such as
 * <image>, SentencePiece user-defined pieces; never <s>, </s>, <unk>), mark spaces as "▁" and add the dummy
 * prefix, BPE-encode each segment (BpeEncoder), optionally put <s> in front. Text is never normalised otherwise
 * (identity normaliser: no NFKC).
 *
 * decode follows the HF LLaMA decoder chain: drop special tokens if asked, "▁" -> " ", runs of byte pieces
 * -> UTF-8 (an invalid run becomes one U+FFFD per byte), concatenate, strip one leading space. With special
 * tokens skipped that equals SentencePiece's decode on every golden case; kept, they appear as their text
 * ("<s>"), as in HF.
 *
 * Instances are immutable and thread-safe.
 */
package dev.perennial.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * The LLaMA tokenizer (SentencePiece BPE with byte fallback and added tokens; 32000 pieces for LLaMA) in plain Java,
 * loaded from an HF {@code tokenizer.json} or a SentencePiece {@code tokenizer.model}: {@code encode} turns text into
 * int token ids (with {@code <s>} in front on request), {@code decode} turns ids back into text with HF LLaMA decoding
 * rules.
 * <p>Immutable after loading; safe to share between threads: every field is final, and its vocabulary, merge and
 * verbatim-token tables are built while loading and only read afterwards.
 */
public final class Tokenizer {
    /** File name of an HF fast-tokenizer file inside a model folder. */
    public static final String TOKENIZER_JSON = "tokenizer.json";
    /** File name of a SentencePiece model inside a model folder. */
    public static final String SENTENCEPIECE_MODEL = "tokenizer.model";

    private final Vocabulary vocabulary;
    private final BpeEncoder bpe;
    private final VerbatimTokens verbatim;
    private final SpaceHandling spaces;

    Tokenizer(Vocabulary vocabulary, BpeEncoder bpe, VerbatimTokens verbatim, SpaceHandling spaces) {
        this.vocabulary = vocabulary;
        this.bpe = bpe;
        this.verbatim = verbatim;
        this.spaces = spaces;
    }

    /**
     * Loads a tokenizer.json, a tokenizer.model, or a model folder holding either (tokenizer.json wins, as in
     * HF transformers, which prefers the fast tokenizer). A file is read as JSON when its name ends in ".json",
     * as a SentencePiece model when it ends in ".model", and otherwise by its first non-blank byte ('{' = JSON).
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(TOKENIZER_JSON))) return load(path.resolve(TOKENIZER_JSON));
            if (Files.isRegularFile(path.resolve(SENTENCEPIECE_MODEL))) return load(path.resolve(SENTENCEPIECE_MODEL));
            throw new NoSuchFileException(path.toString(), null,
                    "folder holds neither " + TOKENIZER_JSON + " nor " + SENTENCEPIECE_MODEL);
        }
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such file or folder");
        byte[] bytes = Files.readAllBytes(path);
        String name = path.getFileName().toString();
        boolean json = name.endsWith(".json") || !name.endsWith(".model") && startsWithBrace(bytes);
        return json ? HfTokenizerJson.parse(path, bytes) : SentencePieceModel.parse(path, bytes);
    }

    private static boolean startsWithBrace(byte[] bytes) {
        for (byte b : bytes) {
            if (!Character.isWhitespace(b)) return b == '{';
        }
        return false;
    }

    /** The ids of text, with <s> in front when addBos (LLaMA's default). An empty text gives [] or [<s>]. */
    public int[] encode(String text, boolean addBos) {
        IntStream.Builder out = IntStream.builder();
        if (addBos) out.add(vocabulary.bosId());
        String prepared = spaces.beforeSplit(text);
        for (VerbatimTokens.Segment s : verbatim.split(prepared)) {
            if (s.id() >= 0) {
                out.add(s.id());
                continue;
            }
            String marked = spaces.mark(prepared.substring(s.start(), s.end()), s.start() == 0);
            if (!spaces.splitWords()) {
                bpe.encode(marked, out);
                continue;
            }
            for (int from = 0, to; from < marked.length(); from = to) {
                to = marked.indexOf(SpaceHandling.MARK, from + 1);
                if (to < 0) to = marked.length();
                bpe.encode(marked.substring(from, to), out);
            }
        }
        return out.build().toArray();
    }

    /** The text of ids with special tokens (<s>, </s>, <unk>, <image>, ...) left out. */
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** The text of ids (HF LLaMA decoder semantics, see the class comment). */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            checkId(id);
            if (skipSpecialTokens && vocabulary.isSpecial(id)) continue;
            int b = vocabulary.byteValue(id);
            if (b >= 0) {
                bytes.write(b);
                continue;
            }
            flushBytes(bytes, text);
            text.append(vocabulary.piece(id).replace(SpaceHandling.MARK, ' '));
        }
        flushBytes(bytes, text);
        if (spaces.stripLeadingSpace() && text.length() > 0 && text.charAt(0) == ' ') text.deleteCharAt(0);
        return text.toString();
    }

    private static void flushBytes(ByteArrayOutputStream bytes, StringBuilder text) {
        if (bytes.size() == 0) return;
        try {
            text.append(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())));
        } catch (CharacterCodingException e) {
            text.append("\uFFFD".repeat(bytes.size()));
        }
        bytes.reset();
    }

    /** The piece of id, e.g. "▁Hello", "&lt;0x0A>", "&lt;s>", "&lt;image>". */
    public String piece(int id) {
        checkId(id);
        return vocabulary.piece(id);
    }

    /** The id of a piece, if it is in the vocabulary. */
    public OptionalInt id(String piece) {
        Integer id = vocabulary.id(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether id is a special token (control tokens and special added tokens), which decode can skip. */
    public boolean isSpecial(int id) {
        checkId(id);
        return vocabulary.isSpecial(id);
    }

    /** Number of ids, added tokens included (llava-hf: 32002; the model's embedding may be padded further). */
    public int vocabSize() { return vocabulary.size(); }

    public int bosId() { return vocabulary.bosId(); }

    public int eosId() { return vocabulary.eosId(); }

    public int unkId() { return vocabulary.unkId(); }

    /** The id of <pad> if the vocabulary has one (llava-hf: 32001), else that of <unk>, as LLaVA training pads. */
    public int padId() { return vocabulary.padId(); }

    private void checkId(int id) {
        if (id < 0 || id >= vocabulary.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabulary.size() + ")");
        }
    }
}
