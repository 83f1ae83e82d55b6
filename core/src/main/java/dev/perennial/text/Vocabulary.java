/*
 * The id <-> piece table of a LLaMA tokenizer (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and prompt
 * facts", LLaMA tokenizer): every id from 0 to size-1 has a distinct piece, including tokens added on top of
 * the BPE model (llava-hf's <image> = 32000 and <pad> = 32001 lie beyond the 32000 model pieces).
 *
 * It also knows
 *   - which ids are special (control tokens such as <s>; skipped by decode when asked),
 *   - the byte-fallback pieces <0x00>..<0xFF> (ids 3..258 in LLaMA): encoding spells text outside the
 *     vocabulary as UTF-8 bytes with them, so all 256 must exist; decoding turns any piece of that form back
 *     into a byte (HF's ByteFallback decoder recognises them by name, in either hex case);
 *   - the ids of <unk>, <s>, </s> and the padding id: the <pad> piece when there is one (llava-hf), else
 *     <unk>, which is what LLaVA training pads with (train.py: tokenizer.pad_token = tokenizer.unk_token).
 */
package dev.perennial.text;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

final class Vocabulary {
    private final String[] pieces;
    private final Map<String, Integer> ids;
    private final BitSet special;
    private final int[] byteIds = new int[256];
    private final int[] byteValues;
    private final int unk, bos, eos, pad;

    /**
     * @param pieces  piece of every id, in id order
     * @param special ids that are control tokens
     */
    Vocabulary(Path file, List<String> pieces, BitSet special, String unkPiece, String bosPiece, String eosPiece,
               String padPiece) throws TokenizerFormatException {
        this.pieces = pieces.toArray(String[]::new);
        this.special = (BitSet) special.clone();
        this.ids = new HashMap<>(pieces.size() * 2);
        this.byteValues = new int[pieces.size()];
        for (int id = 0; id < this.pieces.length; id++) {
            String piece = this.pieces[id];
            if (piece.isEmpty()) throw new TokenizerFormatException(file, "piece " + id + " is empty");
            Integer before = ids.putIfAbsent(piece, id);
            if (before != null) {
                throw new TokenizerFormatException(file, "piece '" + piece + "' has two ids, " + before + " and " + id);
            }
            byteValues[id] = byteValue(piece);
        }
        for (int b = 0; b < 256; b++) {
            String piece = bytePiece(b);
            Integer id = ids.get(piece);
            if (id == null) {
                throw new TokenizerFormatException(file, "byte-fallback piece " + piece + " is missing "
                        + "(a LLaMA tokenizer spells unknown text as UTF-8 bytes <0x00>..<0xFF>)");
            }
            byteIds[b] = id;
        }
        unk = require(file, unkPiece, "unknown");
        bos = require(file, bosPiece, "begin-of-sequence");
        eos = require(file, eosPiece, "end-of-sequence");
        pad = ids.getOrDefault(padPiece, unk);
    }

    private int require(Path file, String piece, String role) throws TokenizerFormatException {
        Integer id = ids.get(piece);
        if (id == null) throw new TokenizerFormatException(file, "the " + role + " token '" + piece + "' is not in the vocabulary");
        return id;
    }

    /** "<0xNN>" with upper-case hex digits: the name SentencePiece and HF give byte pieces. */
    static String bytePiece(int b) {
        return String.format(Locale.ROOT, "<0x%02X>", b);
    }

    /** The byte a piece of the form "<0xNN>" stands for, or -1 (HF ByteFallback decoder: by name). */
    private static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16), lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    int size() { return pieces.length; }

    String piece(int id) { return pieces[id]; }

    Integer id(String piece) { return ids.get(piece); }

    boolean isSpecial(int id) { return special.get(id); }

    /** Byte value of a byte piece, or -1. */
    int byteValue(int id) { return byteValues[id]; }

    /** Ids of the pieces <0x00>..<0xFF>, indexed by byte value. */
    int[] byteIds() { return byteIds.clone(); }

    int unkId() { return unk; }

    int bosId() { return bos; }

    int eosId() { return eos; }

    int padId() { return pad; }
}
