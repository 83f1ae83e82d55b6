/*
 * The text clean-up of CLIP's fast tokenizer (transformers CLIPTokenizerFast, the class ModalPrompt loads;
 * core/src/test/resources/golden/clip/README.md "Which ids to match"): Unicode NFC, every run of White_Space characters -> one space,
 * then each code point lower-cased on its own.
 *
 * Lower-casing per code point is what the HF `tokenizers` Lowercase normaliser does (Rust char::to_lowercase):
 * full mappings (U+0130 İ -> "i̇") but no context, so a word-final Σ becomes σ, never ς (String.toLowerCase of
 * the whole text would apply the final-sigma rule of the slow tokenizer). White_Space is Unicode's whitespace
 * property, the class `\s` matches in the tokenizers regex engine (Oniguruma; U+3000 included, golden case
 * fullwidth_ftfy); Java's own `\s` is ASCII only. Leading and trailing spaces are kept; the pre-tokeniser drops them.
 *
 * Not done, unlike the slow tokenizer and OpenAI's: ftfy.fix_text (mojibake repair, fullwidth -> ASCII,
 * curly quotes -> straight, control characters removed) and html.unescape. Those texts get different ids,
 * exactly as with CLIPTokenizerFast.
 */
package dev.perennial.text;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

final class ClipTextNormalizer {
    private static final Pattern WHITESPACE_RUN = Pattern.compile("\\p{IsWhite_Space}+");

    private ClipTextNormalizer() {}

    static String normalize(String text) {
        String spaced = WHITESPACE_RUN.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ");
        StringBuilder out = new StringBuilder(spaced.length());
        for (int i = 0; i < spaced.length(); ) {
            int cp = spaced.codePointAt(i);
            int n = Character.charCount(cp);
            if (cp < 0x80) {
                out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp));
            } else {
                out.append(spaced.substring(i, i + n).toLowerCase(Locale.ROOT));
            }
            i += n;
        }
        return out.toString();
    }
}
