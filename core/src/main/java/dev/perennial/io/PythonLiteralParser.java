/*
 * Parses the Python literal that forms a .npy header, e.g. {'descr': '<f4', 'fortran_order': False,
 * 'shape': (2, 3), }. NumPy itself reads it with ast.literal_eval; this is a small recursive-descent parser
 * for the subset of Python literal syntax such headers use, so nothing is evaluated and every syntax error
 * has a position.
 *
 *   value   := dict | list | tuple | string | integer | True | False
 *   dict    := '{' [ string ':' value { ',' string ':' value } [','] ] '}'
 *   list    := '[' [ value { ',' value } [','] ] ']'
 *   tuple   := '(' ')' | '(' value ',' [ value { ',' value } [','] ] ')'   ('(' value ')' is just the value)
 *   string  := '...' | "..."        (no backslash escapes: numpy's keys and descr strings never need them)
 *   integer := ['-'] digit { digit }   (must fit in a long)
 *
 * Results: Map<String, Object> (insertion ordered), List<Object> for lists, Tuple for tuples, String, Long,
 * Boolean. Errors are BAD_HEADER TensorFormatExceptions, and a key repeated in a dict is DUPLICATE_NAME
 * (Python would silently keep the last value). Nesting is limited to MAX_DEPTH levels (a numpy header has two): the
 * parser recurses once per level, and a 1 MB header of '[' used to end in a StackOverflowError.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class PythonLiteralParser {

    /** A Python tuple (kept apart from lists because numpy requires the shape to be a tuple). */
    record Tuple(List<Object> items) {}

    /** Deepest nesting of dicts, lists and tuples accepted. */
    static final int MAX_DEPTH = 32;

    private final String text;
    private final Path file;
    private int pos;
    private int depth;

    private PythonLiteralParser(String text, Path file) {
        this.text = text;
        this.file = file;
    }

    /** Parses {@code text}, which must hold exactly one literal (surrounding whitespace allowed). */
    static Object parse(String text, Path file) throws TensorFormatException {
        PythonLiteralParser p = new PythonLiteralParser(text, file);
        Object v = p.value();
        p.skipSpace();
        if (p.pos < text.length()) throw p.error("unexpected '" + text.charAt(p.pos) + "' after the literal");
        return v;
    }

    private Object value() throws TensorFormatException {
        skipSpace();
        if (pos >= text.length()) throw error("unexpected end of header");
        char c = text.charAt(pos);
        switch (c) {
            case '{': case '[': case '(':
                if (++depth > MAX_DEPTH) throw error("values nested more than " + MAX_DEPTH + " levels deep");
                try {
                    return c == '{' ? dict() : c == '(' ? tuple() : list();
                } finally {
                    depth--;
                }
            case '\'': case '"': return string();
            default:
                if (c == '-' || Character.isDigit(c)) return integer();
                if (keyword("True")) return Boolean.TRUE;
                if (keyword("False")) return Boolean.FALSE;
                throw error("unexpected '" + c + "'");
        }
    }

    private Map<String, Object> dict() throws TensorFormatException {
        pos++;                                              // '{'
        Map<String, Object> m = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek() == '}') {
                pos++;
                return Collections.unmodifiableMap(m);
            }
            int keyAt = pos;
            if (peek() != '\'' && peek() != '"') throw error("dictionary keys must be strings");
            String key = string();
            expect(':');
            Object v = value();
            if (m.put(key, v) != null) {
                throw new TensorFormatException(file, Defect.DUPLICATE_NAME, "key '" + key
                        + "' appears twice in the header (at character " + keyAt + ")");
            }
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else {
                expect('}');
                return Collections.unmodifiableMap(m);
            }
        }
    }

    private List<Object> list() throws TensorFormatException {
        pos++;                                              // '['
        return Collections.unmodifiableList(rest(new ArrayList<>(), ']'));
    }

    private Object tuple() throws TensorFormatException {
        pos++;                                              // '('
        skipSpace();
        if (peek() == ')') {
            pos++;
            return new Tuple(List.of());
        }
        Object first = value();
        skipSpace();
        if (peek() == ')') {                                // parenthesised expression, not a tuple
            pos++;
            return first;
        }
        expect(',');
        List<Object> items = new ArrayList<>();
        items.add(first);
        return new Tuple(Collections.unmodifiableList(rest(items, ')')));
    }

    /** Parses "[value {, value} [,]] close" after an opening bracket, appending to {@code items}. */
    private List<Object> rest(List<Object> items, char close) throws TensorFormatException {
        while (true) {
            skipSpace();
            if (peek() == close) {
                pos++;
                return items;
            }
            items.add(value());
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else {
                expect(close);
                return items;
            }
        }
    }

    private String string() throws TensorFormatException {
        char quote = text.charAt(pos++);
        int start = pos;
        while (pos < text.length() && text.charAt(pos) != quote) {
            if (text.charAt(pos) == '\\') throw error("escape sequences in strings are not supported");
            pos++;
        }
        if (pos >= text.length()) throw error("unterminated string");
        return text.substring(start, pos++);
    }

    private Long integer() throws TensorFormatException {
        int start = pos;
        if (peek() == '-') pos++;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
        String digits = text.substring(start, pos);
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("'" + digits + "' is not an integer in the range of a long");
        }
    }

    /** Consumes {@code word} if it stands here as a whole identifier. */
    private boolean keyword(String word) {
        int end = pos + word.length();
        if (!text.startsWith(word, pos)) return false;
        if (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) return false;
        pos = end;
        return true;
    }

    private void expect(char c) throws TensorFormatException {
        skipSpace();
        if (peek() != c) {
            throw error(pos < text.length() ? "expected '" + c + "' but found '" + text.charAt(pos) + "'"
                    : "expected '" + c + "' but the header ended");
        }
        pos++;
    }

    /** The character at the current position, or 0 at the end. */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private TensorFormatException error(String what) {
        return new TensorFormatException(file, Defect.BAD_HEADER, what + " at character " + pos + " of the header");
    }
}
