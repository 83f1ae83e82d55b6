/*
 * How a LLaMA tokenizer turns spaces into the meta symbol "▁" (U+2581) and where it puts the dummy prefix
 * "▁" that makes "world" and " world" tokenize alike (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and
 * prompt facts", LLaMA tokenizer: "the dummy prefix ▁ is prepended and spaces become ▁").
 *
 * Text is first cut at verbatim tokens (HF added tokens such as <image>, SentencePiece user-defined pieces);
 * the rest comes in segments. The files in circulation put the prefix in different places:
 *   SENTENCEPIECE          once, in front of the whole text, even before a leading verbatim token
 *                          (SentencePiece's normaliser with add_dummy_prefix);
 *   EVERY_SEGMENT          in front of every text segment (HF normalizer Prepend("▁") + Replace(" ", "▁"): the
 *                          "legacy" LLaMA files, including llava-hf's, which give "<image>\n" -> [32000, 29871, 13]);
 *   UNMARKED_SEGMENTS      in front of every segment that does not already start with "▁" (HF Metaspace
 *                          pre-tokenizer, prepend_scheme "always");
 *   FIRST_UNMARKED_SEGMENT only in front of the segment at the start of the text (Metaspace "first", the
 *                          non-legacy files);
 *   NONE                   never.
 * splitWords is the Metaspace "split" option: each segment is cut before every "▁" and the pieces are encoded
 * separately, so no token spans a word boundary. stripLeadingSpace is the decoder's Strip(" ", 1, 0) step,
 * which removes the space that the dummy prefix decodes to.
 */
package dev.perennial.text;

record SpaceHandling(Prefix prefix, boolean splitWords, boolean stripLeadingSpace) {

    /** The meta symbol that stands for a space inside pieces. */
    static final char MARK = '\u2581';

    enum Prefix { SENTENCEPIECE, EVERY_SEGMENT, UNMARKED_SEGMENTS, FIRST_UNMARKED_SEGMENT, NONE }

    /** The text before it is cut at verbatim tokens: SentencePiece's single dummy prefix goes here. */
    String beforeSplit(String text) {
        return prefix == Prefix.SENTENCEPIECE && !text.isEmpty() ? MARK + text : text;
    }

    /** One non-empty text segment with spaces marked and, where the scheme says so, the dummy prefix. */
    String mark(String segment, boolean atTextStart) {
        String marked = segment.replace(' ', MARK);
        boolean prepend = switch (prefix) {
            case EVERY_SEGMENT -> true;
            case UNMARKED_SEGMENTS -> marked.charAt(0) != MARK;
            case FIRST_UNMARKED_SEGMENT -> atTextStart && marked.charAt(0) != MARK;
            case SENTENCEPIECE, NONE -> false;
        };
        return prepend ? MARK + marked : marked;
    }
}
