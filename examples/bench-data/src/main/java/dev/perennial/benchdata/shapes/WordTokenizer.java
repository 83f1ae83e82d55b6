/*
 * Builds a small LLaMA-style tokenizer.json (byte-fallback BPE, "▁" word marker, <s> prepended) whose vocabulary
 * holds every word of a closed corpus as one token, for the built-in benchmark's tiny model: its answers ("red",
 * "left", "[0.12, 0.34, ...]" digit by digit) and prompts then take few tokens, and the same Tokenizer class loads
 * it as a real LLaMA tokenizer. Layout, like LLaMA's: <unk> 0, <s> 1, </s> 2, the 256 byte pieces <0x00>..<0xFF>,
 * "▁", then the corpus's characters, then every word piece; the added tokens <image> and <pad> come last.
 *
 * Merges build each word left to right ("▁", "c" -> "▁c"; "▁c", "o" -> "▁co"; ...): with the leading "▁" for words
 * that follow a space (or start a text), without it for words that follow another character (a newline, "[",
 * "."). The marked merges rank first, so inside a marked word a marked merge always wins and the word becomes one
 * token; the few unmarked words are checked by the tests to be single tokens too. Anything outside the corpus still
 * encodes, through its characters or bytes.
 */
package dev.perennial.benchdata.shapes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

public final class WordTokenizer {
    static final String MARK = "\u2581";
    public static final String IMAGE = "<image>", PAD = "<pad>";

    private WordTokenizer() {}

    /** The ids of a written tokenizer: its size and the two added tokens. */
    public record Ids(int vocabSize, int image, int pad) {}

    /**
     * Writes tokenizer.json for {@code corpus} (every text the model will see; words are maximal runs of letters or
     * digits, other characters become single-character pieces).
     */
    public static Ids write(Path file, Collection<String> corpus) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(String.format(Locale.ROOT, "<0x%02X>", b), vocab.size());
        vocab.put(MARK, vocab.size());
        TreeSet<String> chars = new TreeSet<>(), marked = new TreeSet<>(), bare = new TreeSet<>();
        for (String text : corpus) {
            text.codePoints().filter(c -> c != ' ').forEach(c -> chars.add(new String(Character.toChars(c))));
            StringBuilder w = new StringBuilder();
            int start = 0;
            for (int i = 0; i <= text.length(); i++) {
                char c = i < text.length() ? text.charAt(i) : ' ';
                if (Character.isLetterOrDigit(c) && c < 128) {
                    if (w.isEmpty()) start = i;
                    w.append(c);
                } else if (!w.isEmpty()) {
                    // after a space (or at the start, where the normaliser prepends one) a word carries the marker
                    if (start == 0 || text.charAt(start - 1) == ' ') marked.add(w.toString());
                    if (start > 0 && text.charAt(start - 1) != ' ' || start == 0) bare.add(w.toString());
                    w.setLength(0);
                }
            }
        }
        for (String c : chars) vocab.putIfAbsent(c, vocab.size());
        // marked chains rank first: a merge with "▁" on its left always wins inside a marked word
        List<String> merges = new ArrayList<>();
        for (String word : marked) chain(MARK, word, vocab, merges);
        for (String word : bare) chain("", word, vocab, merges);
        int image = vocab.size(), pad = image + 1;
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        addToken(added, 0, "<unk>");
        addToken(added, 1, "<s>");
        addToken(added, 2, "</s>");
        addToken(added, image, IMAGE);
        addToken(added, pad, PAD);
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode norms = normalizer.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", MARK);
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", MARK);
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        post.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        ((ArrayNode) post.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode s = post.putObject("special_tokens").putObject("<s>");
        s.put("id", "<s>");
        s.putArray("ids").add(1);
        s.putArray("tokens").add("<s>");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decs = decoder.putArray("decoders");
        ObjectNode rep = decs.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", MARK);
        rep.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        AtomicFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        return new Ids(pad + 1, image, pad);
    }

    /** Adds the merges building start + word left to right (and their pieces) that are not there yet. */
    private static void chain(String start, String word, Map<String, Integer> vocab, List<String> merges) {
        String piece = start.isEmpty() ? word.substring(0, 1) : start;
        for (int i = start.isEmpty() ? 1 : 0; i < word.length(); i++) {
            String next = piece + word.charAt(i);
            if (!vocab.containsKey(next)) {
                vocab.put(next, vocab.size());
                merges.add(piece + " " + word.charAt(i));
            }
            piece = next;
        }
    }

    private static void addToken(ArrayNode added, int id, String content) {
        added.addObject().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
    }
}
