/*
 * The standard VQA answer normalisation (the VQA challenge's evaluation code, used by EvalAI and by LLaVA's
 * m4c_evaluator for TextVQA), written from its published rules:
 *   1. newlines and tabs to spaces, trim, lower case; remove "," and "?"; "'s" becomes " 's";
 *   2. punctuation ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! removed where it touches a space or when the text has
 *      a comma between digits, otherwise replaced by a space; a "." not followed by a digit is removed;
 *   3. per word: number words zero..ten (and "none") to digits, articles a / an / the dropped, and the contraction
 *      table restores apostrophes ("dont" -> "don't").
 */
package dev.perennial.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The standard VQA answer normalisation (the VQA challenge's evaluation rules): lower case, punctuation removed or
 * replaced by a space, number words zero to ten as digits, articles dropped and contractions restored, so answers
 * compare by their normalised text.
 * <p>Stateless; its static methods are safe to call from several threads (its static tables are immutable maps, sets
 * and patterns, and a punctuation array that is only read).
 */
public final class VqaNormalizer {
    private static final char[] PUNCTUATION = {';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'};
    private static final Pattern COMMA_BETWEEN_DIGITS = Pattern.compile("(\\d)(,)(\\d)");
    private static final Pattern PERIOD_NOT_BEFORE_DIGIT = Pattern.compile("\\.(?!\\d)");
    private static final Set<String> ARTICLES = Set.of("a", "an", "the");
    private static final Map<String, String> NUMBERS = Map.ofEntries(Map.entry("none", "0"), Map.entry("zero", "0"), Map.entry("one", "1"),
            Map.entry("two", "2"), Map.entry("three", "3"), Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"),
            Map.entry("seven", "7"), Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));
    private static final Map<String, String> CONTRACTIONS = contractions();

    private VqaNormalizer() {}

    public static String normalize(String answer) {
        String s = answer.replace('\n', ' ').replace('\t', ' ').strip().toLowerCase(Locale.ROOT);
        s = s.replace(",", "").replace("?", "").replace("'s", " 's").strip();
        s = punctuation(s);
        List<String> words = new ArrayList<>();
        for (String w : s.split("\\s+")) {
            if (w.isEmpty()) continue;
            w = NUMBERS.getOrDefault(w, w);
            if (ARTICLES.contains(w)) continue;
            words.add(CONTRACTIONS.getOrDefault(w, w));
        }
        return String.join(" ", words);
    }

    static String punctuation(String in) {
        boolean commaNumber = COMMA_BETWEEN_DIGITS.matcher(in).find();
        String out = in;
        for (char p : PUNCTUATION) {
            String ps = String.valueOf(p);
            if (in.contains(ps + " ") || in.contains(" " + ps) || commaNumber) out = out.replace(ps, "");
            else out = out.replace(ps, " ");
        }
        return PERIOD_NOT_BEFORE_DIGIT.matcher(out).replaceAll("");
    }

    private static Map<String, String> contractions() {
        String[] pairs = {
                "aint", "ain't", "arent", "aren't", "cant", "can't", "couldve", "could've", "couldnt", "couldn't",
                "couldn'tve", "couldn't've", "couldnt've", "couldn't've", "didnt", "didn't", "doesnt", "doesn't", "dont", "don't",
                "hadnt", "hadn't", "hadnt've", "hadn't've", "hadn'tve", "hadn't've", "hasnt", "hasn't", "havent", "haven't",
                "hed", "he'd", "hed've", "he'd've", "he'dve", "he'd've", "hes", "he's", "howd", "how'd", "howll", "how'll",
                "hows", "how's", "id've", "i'd've", "i'dve", "i'd've", "im", "i'm", "ive", "i've", "isnt", "isn't", "itd", "it'd",
                "itd've", "it'd've", "it'dve", "it'd've", "itll", "it'll", "maam", "ma'am", "mightnt", "mightn't",
                "mightnt've", "mightn't've", "mightn'tve", "mightn't've", "mightve", "might've", "mustnt", "mustn't",
                "mustve", "must've", "neednt", "needn't", "notve", "not've", "oclock", "o'clock", "oughtnt", "oughtn't",
                "ow's'at", "'ow's'at", "'ows'at", "'ow's'at", "'ow'sat", "'ow's'at", "shant", "shan't", "shed've", "she'd've",
                "she'dve", "she'd've", "shouldve", "should've", "shouldnt", "shouldn't", "shouldnt've", "shouldn't've",
                "shouldn'tve", "shouldn't've", "somebodyd", "somebody'd", "somebodyd've", "somebody'd've", "somebody'dve", "somebody'd've",
                "somebodyll", "somebody'll", "somebodys", "somebody's", "someoned", "someone'd", "someoned've", "someone'd've",
                "someone'dve", "someone'd've", "someonell", "someone'll", "someones", "someone's", "somethingd", "something'd",
                "somethingd've", "something'd've", "something'dve", "something'd've", "somethingll", "something'll", "thats", "that's",
                "thered", "there'd", "thered've", "there'd've", "there'dve", "there'd've", "therere", "there're", "theres", "there's",
                "theyd", "they'd", "theyd've", "they'd've", "they'dve", "they'd've", "theyll", "they'll", "theyre", "they're",
                "theyve", "they've", "twas", "'twas", "wasnt", "wasn't", "wed've", "we'd've", "we'dve", "we'd've", "weve", "we've",
                "werent", "weren't", "whatll", "what'll", "whatre", "what're", "whats", "what's", "whatve", "what've", "whens", "when's",
                "whered", "where'd", "wheres", "where's", "whereve", "where've", "whod", "who'd", "whod've", "who'd've",
                "who'dve", "who'd've", "wholl", "who'll", "whos", "who's", "whove", "who've", "whyll", "why'll", "whyre", "why're",
                "whys", "why's", "wont", "won't", "wouldve", "would've", "wouldnt", "wouldn't", "wouldnt've", "wouldn't've",
                "wouldn'tve", "wouldn't've", "yall", "y'all", "yall'll", "y'all'll", "y'allll", "y'all'll", "yall'd've", "y'all'd've",
                "y'alld've", "y'all'd've", "y'all'dve", "y'all'd've", "youd", "you'd", "youd've", "you'd've", "you'dve", "you'd've",
                "youll", "you'll", "youre", "you're", "youve", "you've"};
        java.util.HashMap<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put(pairs[i], pairs[i + 1]);
        return Map.copyOf(m);
    }
}
