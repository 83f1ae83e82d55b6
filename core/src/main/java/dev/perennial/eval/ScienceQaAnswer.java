/*
 * The option letter of a ScienceQA answer, parsed as the official scorer does (docs/methods/modalprompt.md §10.4): the whole answer
 * if it is exactly one of A-E; else its first character if the answer is at least 3 long, starts with A-E and
 * continues with ". "; else the first standalone one-character word, upper-cased, if it is A-E; else none (FAILED,
 * counted wrong). The reference may be written as a letter or as the 0-based option index.
 */
package dev.perennial.eval;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The option of a ScienceQA answer, parsed as the official scorer does: {@code parse} gives the option index 0-4 a
 * prediction names by its letter A-E, or -1 for none, and {@code reference} reads a reference written as a letter A-E
 * or an index 0-4.
 * <p>Stateless; its static methods are safe to call from several threads (its static fields are a constant string and
 * an immutable {@code Pattern}).
 */
public final class ScienceQaAnswer {
    private static final String LETTERS = "ABCDE";
    private static final Pattern SINGLE = Pattern.compile("\\b(\\w)\\b");

    private ScienceQaAnswer() {}

    /** The option index 0-4 the prediction names, or -1. */
    public static int parse(String prediction) {
        String p = prediction;
        if (p.length() == 1 && LETTERS.indexOf(p.charAt(0)) >= 0) return LETTERS.indexOf(p.charAt(0));
        if (p.length() >= 3 && LETTERS.indexOf(p.charAt(0)) >= 0 && p.startsWith(". ", 1)) return LETTERS.indexOf(p.charAt(0));
        Matcher m = SINGLE.matcher(p);
        if (m.find()) {
            int i = LETTERS.indexOf(m.group(1).toUpperCase(Locale.ROOT));
            if (i >= 0) return i;
        }
        return -1;
    }

    /** The reference's option index: a letter A-E or a digit 0-4. */
    public static int reference(String answer) {
        String a = answer.strip();
        if (a.length() == 1 && LETTERS.indexOf(a.charAt(0)) >= 0) return LETTERS.indexOf(a.charAt(0));
        if (a.matches("[0-4]")) return Integer.parseInt(a);
        throw new IllegalArgumentException("a ScienceQA reference is a letter A-E or an index 0-4, got \"" + answer + "\"");
    }
}
