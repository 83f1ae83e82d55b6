/*
 * The CLIP BPE tokenizer as transformers' CLIPTokenizerFast runs it (the tokenizer ModalPrompt encodes its text
 * queries with, docs/methods/modalprompt.md section 4.2; core/src/test/resources/golden/clip/README.md "CLIP tokenizer"), in plain Java:
 *
 *   1. ClipTextNormalizer: NFC, whitespace runs -> " ", per-code-point lower case (no ftfy, no HTML unescape);
 *   2. the literal special tokens <|startoftext|> and <|endoftext|> in the normalised text become their ids;
 *   3. the rest is split with 's|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+ (letter runs, single
 *      digits, runs of anything else; spaces dropped);
 *   4. each piece: UTF-8 bytes -> GPT-2 byte symbols, "</w>" on the last, BPE by merge rank (BpeEncoder);
 *   5. [<|startoftext|>] + ids + [<|endoftext|>], truncated to the 77-token context by keeping the first 75 ids
 *      and the end-of-text id (truncation=True, max_length=77).
 * A batch is padded on the right to its longest row with <|endoftext|> (HF's pad token for CLIP) and an
 * attention mask of 0 there (padding="longest").
 *
 * Files: a folder with vocab.json ({piece: id}, ids 0..n-1) and merges.txt (an optional "#version" header, then
 * "left right" per line in priority order), as every HF CLIP checkpoint ships them. Instances are immutable and
 * thread-safe.
 */
package dev.perennial.text;

import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * CLIP's BPE tokenizer as transformers' {@code CLIPTokenizerFast} runs it, loaded from {@code vocab.json} and
 * {@code merges.txt}: {@code encode} gives at most 77 int ids, {@code <|startoftext|>} first and {@code <|endoftext|>}
 * last; {@code encodeBatch} gives I64 ids and attention mask {@code [B, T]}, right-padded to the longest row.
 * <p>Immutable after loading; safe to share between threads: every field is final, and its piece and byte tables are
 * filled by the constructor and only read afterwards.
 */
public final class ClipTokenizer {
    public static final String VOCAB_JSON = "vocab.json";
    public static final String MERGES_TXT = "merges.txt";
    /** CLIP's context length: every tokenization has at most this many ids. */
    public static final int CONTEXT_LENGTH = 77;
    public static final String START_OF_TEXT = "<|startoftext|>";
    public static final String END_OF_TEXT = "<|endoftext|>";
    private static final String END_OF_WORD = "</w>";

    private static final Pattern SPECIAL = Pattern.compile(Pattern.quote(START_OF_TEXT) + "|" + Pattern.quote(END_OF_TEXT));
    private static final Pattern PIECE = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\p{IsWhite_Space}\\p{L}\\p{N}]+");

    private final String[] pieces;          // by id
    private final MergeRule merges;
    private final int[] byteIds = new int[256], lastByteIds = new int[256];   // byte symbol, and with </w>
    private final int startOfText, endOfText;

    /**
     * A padded batch: inputIds and attentionMask are I64 [B, T] with T the longest row; padding (on the right) is
     * &lt;|endoftext|> with mask 0.
     */
    public record Batch(Tensor inputIds, Tensor attentionMask) {}

    private ClipTokenizer(String[] pieces, Map<String, Integer> ids, MergeRule merges, Path vocabFile)
            throws TokenizerFormatException {
        this.pieces = pieces;
        this.merges = merges;
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteSymbols.symbol(b));
            byteIds[b] = require(ids, vocabFile, symbol);
            lastByteIds[b] = require(ids, vocabFile, symbol + END_OF_WORD);
        }
        startOfText = require(ids, vocabFile, START_OF_TEXT);
        endOfText = require(ids, vocabFile, END_OF_TEXT);
    }

    private static int require(Map<String, Integer> ids, Path file, String piece) throws TokenizerFormatException {
        Integer id = ids.get(piece);
        if (id == null) throw new TokenizerFormatException(file, "piece '" + piece + "' is missing (a CLIP vocabulary has all 256 byte "
                + "symbols, each also with " + END_OF_WORD + ", and " + START_OF_TEXT + ", " + END_OF_TEXT + ")");
        return id;
    }

    /** Loads vocab.json and merges.txt from {@code dir}. */
    public static ClipTokenizer load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, Files.exists(dir) ? "not a folder (expected one holding "
                    + VOCAB_JSON + " and " + MERGES_TXT + ")" : "no such file or folder");
        }
        Path vocabFile = dir.resolve(VOCAB_JSON), mergesFile = dir.resolve(MERGES_TXT);
        for (Path f : List.of(vocabFile, mergesFile)) {
            if (!Files.isRegularFile(f)) throw new NoSuchFileException(f.toString(), null, "CLIP tokenizer file not found");
        }
        Map<String, Integer> ids = vocab(vocabFile);
        String[] pieces = new String[ids.size()];
        ids.forEach((piece, id) -> pieces[id] = piece);
        MergeRule merges = new RankedPairMerges(mergesFile, merges(mergesFile), ids);
        return new ClipTokenizer(pieces, ids, merges, vocabFile);
    }

    private static Map<String, Integer> vocab(Path file) throws IOException {
        return HfTokenizerJson.pieceIds(file, HfTokenizerJson.readObject(file, Files.readAllBytes(file)), "vocab");
    }

    private static List<String[]> merges(Path file) throws IOException {
        String text;
        try {   // Files.readAllLines would throw a bare MalformedInputException ("Input length = 1") naming no file
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFormatException(file, "not valid UTF-8", e);
        }
        List<String> lines = text.lines().toList();
        List<String[]> pairs = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || i == 0 && line.startsWith("#version")) continue;
            String[] pair = line.split(" ", -1);
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {
                throw new TokenizerFormatException(file, "line " + (i + 1) + " is not a merge 'left right': " + line);
            }
            pairs.add(pair);
        }
        return pairs;
    }

    /**
     * The ids of text: &lt;|startoftext|>, the text's ids, &lt;|endoftext|>; at most CONTEXT_LENGTH ids (longer texts
     * keep their first CONTEXT_LENGTH - 2 ids). An empty or all-space text gives [49406, 49407].
     */
    public int[] encode(String text) {
        IntStream.Builder out = IntStream.builder();
        out.add(startOfText);
        int[] body = textIds(text);
        for (int i = 0; i < Math.min(body.length, CONTEXT_LENGTH - 2); i++) out.add(body[i]);
        out.add(endOfText);
        return out.build().toArray();
    }

    /** encode() of every text, padded on the right to the longest (see Batch). */
    public Batch encodeBatch(List<String> texts) {
        if (texts.isEmpty()) throw new IllegalArgumentException("no text to encode");
        int[][] rows = texts.stream().map(this::encode).toArray(int[][]::new);
        int t = Arrays.stream(rows).mapToInt(r -> r.length).max().orElseThrow();
        long[] ids = new long[rows.length * t], mask = new long[rows.length * t];
        for (int b = 0; b < rows.length; b++) {
            Arrays.fill(ids, b * t, (b + 1) * t, endOfText);
            for (int i = 0; i < rows[b].length; i++) {
                ids[b * t + i] = rows[b][i];
                mask[b * t + i] = 1;
            }
        }
        return new Batch(Tensor.ofLongs(ids, rows.length, t), Tensor.ofLongs(mask, rows.length, t));
    }

    /** The ids of text alone, without the added start/end ids and untruncated; literal special tokens in it count. */
    private int[] textIds(String text) {
        String normalized = ClipTextNormalizer.normalize(text);
        IntStream.Builder out = IntStream.builder();
        Matcher special = SPECIAL.matcher(normalized);
        int from = 0;
        while (special.find()) {
            encodeSegment(normalized.substring(from, special.start()), out);
            out.add(special.group().equals(START_OF_TEXT) ? startOfText : endOfText);
            from = special.end();
        }
        encodeSegment(normalized.substring(from), out);
        return out.build().toArray();
    }

    private void encodeSegment(String segment, IntStream.Builder out) {
        Matcher m = PIECE.matcher(segment);
        while (m.find()) {
            byte[] bytes = utf8(m.group());
            char[] symbols = new char[bytes.length];
            int[] ids = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                int b = bytes[i] & 0xff;
                symbols[i] = ByteSymbols.symbol(b);
                ids[i] = i == bytes.length - 1 ? lastByteIds[b] : byteIds[b];
            }
            BpeEncoder.encodeSymbols(merges, new String(symbols), ids, out);
        }
    }

    private static byte[] utf8(String piece) {
        piece.codePoints().filter(cp -> Character.getType(cp) == Character.SURROGATE).findFirst().ifPresent(cp -> {
            throw new IllegalArgumentException("text holds an unpaired surrogate (U+"
                    + Integer.toHexString(cp).toUpperCase(Locale.ROOT) + "), which has no UTF-8 form");
        });
        return piece.getBytes(StandardCharsets.UTF_8);
    }

    /** The vocabulary string of id, e.g. "photo&lt;/w>", "&lt;|endoftext|>". */
    public String piece(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
        return pieces[id];
    }

    /** 49408 for the CLIP vocabulary. */
    public int vocabSize() { return pieces.length; }

    /** The id of &lt;|startoftext|> (49406). */
    public int startOfTextId() { return startOfText; }

    /** The id of &lt;|endoftext|> (49407), also the padding id. */
    public int endOfTextId() { return endOfText; }
}
