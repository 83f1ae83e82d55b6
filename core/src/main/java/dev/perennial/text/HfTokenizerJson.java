/*
 * Reads an HF `tokenizers` tokenizer.json holding a LLaMA tokenizer (docs/methods/llava-numerics.md, "Tokenizer golden":
 * BPE model with byte_fallback, normaliser Prepend("▁") + Replace(" ", "▁"), LLaMA decoder and post-processor).
 *
 * Accepted, and anything else refused with a TokenizerFormatException naming the file:
 *   model         type "BPE"; vocab {piece: id} with ids 0..n-1; merges in priority order as "a b" strings or
 *                 ["a", "b"] arrays; unk_token; byte_fallback true; no dropout, subword prefix/suffix or
 *                 ignore_merges.
 *   added_tokens  ids inside the model vocabulary must name that very piece (LLaMA's <unk>, <s>, </s>); ids
 *                 beyond it (llava-hf's <image> = 32000, <pad> = 32001) must continue the id range without gaps
 *                 and are matched verbatim in the raw text, so they need normalized, lstrip, rstrip and
 *                 single_word all false (as llava-hf writes them). "special" marks tokens decode may skip.
 *   normalizer    Prepend("▁") with Replace(" " -> "▁") (legacy LLaMA, dummy prefix on every segment), or
 *                 Replace alone (no prefix), or null together with
 *   pre_tokenizer Metaspace (replacement "▁", prepend_scheme always/first/never or the older add_prefix_space,
 *                 split default true).
 *   decoder       Sequence[Replace("▁" -> " "), ByteFallback, Fuse] optionally followed by Strip(" ", 1, 0).
 * The post_processor is not interpreted: Tokenizer.encode(text, addBos) leaves <s> to the caller (LLaMA's
 * TemplateProcessing adds exactly <s>). Duplicate JSON keys are refused (a duplicated vocab entry would
 * otherwise silently keep one id). The strict JSON reading and the {piece: id} check also read CLIP's vocab.json
 * (ClipTokenizer).
 */
package dev.perennial.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

final class HfTokenizerJson {
    private static final ObjectMapper JSON = JsonMapper.builder(
                    JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final String MARK = String.valueOf(SpaceHandling.MARK);

    private final Path file;

    private HfTokenizerJson(Path file) {
        this.file = file;
    }

    static Tokenizer parse(Path file, byte[] bytes) throws TokenizerFormatException {
        return new HfTokenizerJson(file).parse(bytes);
    }

    /** The JSON object in bytes, strictly: duplicate keys and trailing content are refused (also for CLIP's vocab.json). */
    static JsonNode readObject(Path file, byte[] bytes) throws TokenizerFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerFormatException(file, "not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new TokenizerFormatException(file, "not a JSON object");
        return root;
    }

    private Tokenizer parse(byte[] bytes) throws TokenizerFormatException {
        JsonNode root = readObject(file, bytes);
        JsonNode model = object(root, "model");
        String type = text(model, "type", "model.type");
        if (!type.equals("BPE")) throw fail("model.type is '" + type + "'; only BPE (LLaMA) is supported");
        if (!model.path("byte_fallback").asBoolean(false)) {
            throw fail("model.byte_fallback is not true; LLaMA tokenizers spell unknown text as byte pieces");
        }
        for (String unsupported : List.of("dropout", "continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode v = model.path(unsupported);
            if (!v.isMissingNode() && !v.isNull() && !(v.isTextual() && v.asText().isEmpty())) {
                throw fail("model." + unsupported + " is set (" + v + "); LLaMA BPE has none");
            }
        }
        if (model.path("ignore_merges").asBoolean(false)) throw fail("model.ignore_merges is true; LLaMA BPE merges every word");

        Map<String, Integer> modelVocab = pieceIds(file, object(model, "vocab"), "model.vocab");
        List<String> pieces = new ArrayList<>(Arrays.asList(new String[modelVocab.size()]));
        modelVocab.forEach((piece, id) -> pieces.set(id, piece));

        BitSet special = new BitSet();
        Map<String, Integer> verbatim = new HashMap<>();
        addedTokens(root.path("added_tokens"), pieces, special, verbatim);

        String unk = text(model, "unk_token", "model.unk_token");
        Vocabulary vocabulary = new Vocabulary(file, pieces, special, unk, "<s>", "</s>", "<pad>");
        MergeRule merges = new RankedPairMerges(file, merges(array(model, "merges")), modelVocab);
        SpaceHandling spaces = spaceHandling(root.path("normalizer"), root.path("pre_tokenizer"), root.path("decoder"));
        return new Tokenizer(vocabulary, new BpeEncoder(modelVocab, merges, vocabulary.byteIds()),
                new VerbatimTokens(verbatim), spaces);
    }

    /** A {piece: id} object whose ids are 0..n-1, each once; {@code where} names it in messages ("model.vocab"). */
    static Map<String, Integer> pieceIds(Path file, JsonNode vocab, String where) throws TokenizerFormatException {
        Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
        BitSet seen = new BitSet();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = id(file, e.getValue(), where + "['" + e.getKey() + "']");
            if (id >= vocab.size() || seen.get(id)) {
                throw new TokenizerFormatException(file, where + " ids must be 0.." + (vocab.size() - 1) + ", each once; '"
                        + e.getKey() + "' has " + id);
            }
            seen.set(id);
            ids.put(e.getKey(), id);
        }
        return ids;
    }

    private void addedTokens(JsonNode added, List<String> pieces, BitSet special, Map<String, Integer> verbatim)
            throws TokenizerFormatException {
        if (added.isMissingNode() || added.isNull()) return;
        if (!added.isArray()) throw fail("added_tokens is not an array");
        int modelSize = pieces.size();
        TreeMap<Integer, String> beyond = new TreeMap<>();
        for (JsonNode t : added) {
            int id = id(t.path("id"), "added_tokens[].id");
            String content = text(t, "content", "added_tokens[" + id + "].content");
            // ids beyond the model continue it without gaps, so every valid id is below this; checked before the id
            // sizes anything (a bit set sized by id 2147483647 took 256 MB)
            if (id >= modelSize + added.size()) {
                throw fail("added token " + id + " '" + content + "' lies beyond the " + modelSize + " model pieces and "
                        + added.size() + " added tokens");
            }
            if (t.path("special").asBoolean(false)) special.set(id);
            if (id < modelSize) {
                if (!pieces.get(id).equals(content)) {
                    throw fail("added token " + id + " '" + content + "' differs from the vocabulary's piece '" + pieces.get(id) + "'");
                }
                continue;
            }
            for (String flag : List.of("normalized", "lstrip", "rstrip", "single_word")) {
                if (t.path(flag).asBoolean(false)) throw fail("added token " + id + " '" + content + "' has " + flag + "=true, which is not supported");
            }
            if (beyond.put(id, content) != null) throw fail("added token id " + id + " appears twice");
        }
        for (Map.Entry<Integer, String> e : beyond.entrySet()) {
            if (e.getKey() != pieces.size()) {
                throw fail("added token ids must continue the vocabulary without gaps: expected " + pieces.size() + ", found " + e.getKey());
            }
            pieces.add(e.getValue());
            verbatim.put(e.getValue(), e.getKey());
        }
    }

    private List<String[]> merges(JsonNode merges) throws TokenizerFormatException {
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (JsonNode m : merges) {
            String[] pair;
            if (m.isTextual()) {
                pair = m.asText().split(" ", -1);
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                pair = new String[]{m.get(0).asText(), m.get(1).asText()};
            } else {
                pair = new String[0];
            }
            if (pair.length != 2) throw fail("merge " + pairs.size() + " is not a pair of pieces: " + m);
            pairs.add(pair);
        }
        return pairs;
    }

    private SpaceHandling spaceHandling(JsonNode normalizer, JsonNode preTokenizer, JsonNode decoder) throws TokenizerFormatException {
        boolean strip = decoderStrips(decoder);
        boolean hasNormalizer = !normalizer.isMissingNode() && !normalizer.isNull();
        boolean hasPreTokenizer = !preTokenizer.isMissingNode() && !preTokenizer.isNull();
        if (hasNormalizer && !hasPreTokenizer) {
            List<JsonNode> steps = new ArrayList<>();
            flatten(normalizer, steps);
            boolean prepend = false, replace = false;
            for (JsonNode step : steps) {
                String type = step.path("type").asText();
                if (type.equals("Prepend") && step.path("prepend").asText().equals(MARK)) {
                    prepend = true;
                } else if (type.equals("Replace") && isReplace(step, " ", MARK)) {
                    replace = true;
                } else {
                    throw fail("unsupported normalizer step " + step + " (a LLaMA tokenizer only marks spaces; NFKC and the like are not implemented)");
                }
            }
            if (!replace) throw fail("the normalizer does not replace spaces with " + MARK);
            return new SpaceHandling(prepend ? SpaceHandling.Prefix.EVERY_SEGMENT : SpaceHandling.Prefix.NONE, false, strip);
        }
        if (!hasNormalizer && hasPreTokenizer && preTokenizer.path("type").asText().equals("Metaspace")) {
            if (!preTokenizer.path("replacement").asText().equals(MARK)) throw fail("Metaspace replacement is not " + MARK);
            String scheme = preTokenizer.path("prepend_scheme").asText("always");
            if (!preTokenizer.path("add_prefix_space").asBoolean(true)) scheme = "never";
            SpaceHandling.Prefix prefix = switch (scheme) {
                case "always" -> SpaceHandling.Prefix.UNMARKED_SEGMENTS;
                case "first" -> SpaceHandling.Prefix.FIRST_UNMARKED_SEGMENT;
                case "never" -> SpaceHandling.Prefix.NONE;
                default -> throw fail("unknown Metaspace prepend_scheme '" + scheme + "'");
            };
            return new SpaceHandling(prefix, preTokenizer.path("split").asBoolean(true), strip);
        }
        throw fail("unsupported normalizer/pre_tokenizer combination (normalizer " + normalizer + ", pre_tokenizer "
                + preTokenizer + "); expected Prepend+Replace normalizer or a Metaspace pre-tokenizer");
    }

    private boolean decoderStrips(JsonNode decoder) throws TokenizerFormatException {
        List<JsonNode> steps = new ArrayList<>();
        flatten(decoder, steps);
        List<String> types = steps.stream().map(s -> s.path("type").asText()).toList();
        boolean strip = types.size() == 4 && types.get(3).equals("Strip");
        boolean ok = (types.size() == 3 || strip) && types.subList(0, 3).equals(List.of("Replace", "ByteFallback", "Fuse"))
                && isReplace(steps.get(0), MARK, " ")
                && (!strip || steps.get(3).path("content").asText().equals(" ")
                        && steps.get(3).path("start").asInt(-1) == 1 && steps.get(3).path("stop").asInt(-1) == 0);
        if (!ok) throw fail("unsupported decoder " + decoder + "; expected the LLaMA decoder Replace(" + MARK + "), ByteFallback, Fuse, Strip(1)");
        return strip;
    }

    private static boolean isReplace(JsonNode step, String from, String to) {
        return step.path("type").asText().equals("Replace") && step.path("pattern").path("String").asText("").equals(from)
                && step.path("content").asText("").equals(to);
    }

    private static void flatten(JsonNode node, List<JsonNode> out) {
        if (node.path("type").asText().equals("Sequence")) {
            JsonNode inner = node.has("normalizers") ? node.path("normalizers") : node.path("decoders");
            inner.forEach(n -> flatten(n, out));
        } else if (!node.isMissingNode() && !node.isNull()) {
            out.add(node);
        }
    }

    private JsonNode object(JsonNode parent, String field) throws TokenizerFormatException {
        JsonNode n = parent.path(field);
        if (!n.isObject()) throw fail("'" + field + "' is missing or not an object");
        return n;
    }

    private JsonNode array(JsonNode parent, String field) throws TokenizerFormatException {
        JsonNode n = parent.path(field);
        if (!n.isArray()) throw fail("'" + field + "' is missing or not an array");
        return n;
    }

    private String text(JsonNode parent, String field, String where) throws TokenizerFormatException {
        JsonNode n = parent.path(field);
        if (!n.isTextual()) throw fail(where + " is missing or not a string");
        return n.asText();
    }

    private int id(JsonNode n, String where) throws TokenizerFormatException {
        return id(file, n, where);
    }

    private static int id(Path file, JsonNode n, String where) throws TokenizerFormatException {
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
            throw new TokenizerFormatException(file, where + " is not a non-negative integer id: " + n);
        }
        return n.asInt();
    }

    private TokenizerFormatException fail(String detail) {
        return new TokenizerFormatException(file, detail);
    }
}
