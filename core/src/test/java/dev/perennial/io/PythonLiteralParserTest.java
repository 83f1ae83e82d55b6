/*
 * PythonLiteralParser: the literal forms numpy headers use, Python's tuple-vs-parentheses rule, and error
 * positions.
 */
package dev.perennial.io;

import dev.perennial.io.PythonLiteralParser.Tuple;
import dev.perennial.io.TensorFormatException.Defect;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.perennial.io.FormatAssertions.assertDefect;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PythonLiteralParserTest {
    private static final Path FILE = Path.of("x.npy");

    private static Object parse(String s) throws TensorFormatException {
        return PythonLiteralParser.parse(s, FILE);
    }

    @Test
    void parsesNestedLiterals() throws TensorFormatException {
        Object v = parse(" {'a': (1, -2, ), \"b\": [True, False, 'x'], 'c': {}, 'd': ()}\n");
        assertEquals(Map.of("a", new Tuple(List.of(1L, -2L)), "b", List.of(true, false, "x"),
                "c", Map.of(), "d", new Tuple(List.of())), v);
    }

    @Test
    void parenthesesWithoutACommaAreNotATuple() throws TensorFormatException {
        assertEquals(7L, parse("(7)"));
        assertEquals(new Tuple(List.of(7L)), parse("(7,)"));
        assertEquals(new Tuple(List.of(new Tuple(List.of(1L)), 2L)), parse("((1,), 2)"));
    }

    @Test
    void keywordsMustBeWholeWords() {
        assertDefect(Defect.BAD_HEADER, FILE, "at character 0", () -> parse("Trueish"));
    }

    @Test
    void errorsGiveThePosition() {
        assertDefect(Defect.BAD_HEADER, FILE, "expected ':' but found ',' at character 5", () -> parse("{'a' , 1}"));
        assertDefect(Defect.BAD_HEADER, FILE, "unexpected end", () -> parse("[1, "));
        assertDefect(Defect.BAD_HEADER, FILE, "unterminated string", () -> parse("'abc"));
        assertDefect(Defect.BAD_HEADER, FILE, "range of a long", () -> parse("99999999999999999999"));
        assertDefect(Defect.BAD_HEADER, FILE, "keys must be strings", () -> parse("{1: 2}"));
    }
}
