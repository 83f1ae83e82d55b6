/*
 * The one check every malformed-file test makes: the action fails with a TensorFormatException for the
 * expected file and defect, and the message names both (the command line prints the message alone).
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class FormatAssertions {
    private FormatAssertions() {}

    static TensorFormatException assertDefect(Defect expected, Path file, Executable action) {
        TensorFormatException e = assertThrows(TensorFormatException.class, action);
        assertEquals(expected, e.defect(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": " + expected.description() + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "message is one line");
        return e;
    }

    /** As assertDefect, and the detail mentions {@code mention} (a tensor name, a dtype, ...). */
    static void assertDefect(Defect expected, Path file, String mention, Executable action) {
        TensorFormatException e = assertDefect(expected, file, action);
        assertTrue(e.detail().contains(mention), "'" + mention + "' in: " + e.getMessage());
    }
}
