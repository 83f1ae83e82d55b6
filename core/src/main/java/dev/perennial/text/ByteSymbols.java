/*
 * GPT-2's byte-to-unicode table, which CLIP's BPE vocabulary is written in (core/src/test/resources/golden/clip/README.md "Vocabulary"):
 * every byte is one printable character, so BPE can run on text characters while covering all 256 bytes.
 * The 188 bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves; the other 68 (0x00-0x20, 0x7F-0xA0,
 * 0xAD), in byte order, become U+0100..U+0143.
 */
package dev.perennial.text;

final class ByteSymbols {
    private static final char[] SYMBOL = new char[256];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            SYMBOL[b] = (char) (printable ? b : next++);
        }
    }

    private ByteSymbols() {}

    /** The character that stands for byte b (0..255). */
    static char symbol(int b) {
        return SYMBOL[b];
    }
}
