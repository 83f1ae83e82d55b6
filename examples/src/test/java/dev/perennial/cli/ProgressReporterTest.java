/*
 * ProgressReporter, the progress display of every long command: off a terminal each shown update is a whole line
 * (never a carriage return that would run into log lines), later updates within 10 s are held back, and the last
 * one is always shown; on a terminal the bar is redrawn in place and ended by one newline.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressReporterTest {
    @Test
    void offATerminalEveryShownUpdateIsALineAndTheLastIsNeverLost() {
        StringWriter text = new StringWriter();
        ProgressReporter p = new ProgressReporter(new PrintWriter(text), "train", "steps", false);
        for (int i = 1; i <= 50; i++) p.update(i, 50, "loss 1.0");
        p.finish();
        String out = text.toString();
        assertFalse(out.contains("\r"), out);
        String[] lines = out.split("\n");
        assertEquals(2, lines.length, "the first update, then (within 10 s) only the last: " + out);
        assertEquals("train [" + "=".repeat(30) + "] 50/50 steps loss 1.0", lines[1]);

        StringWriter open = new StringWriter();
        ProgressReporter unknown = new ProgressReporter(new PrintWriter(open), "answered", "", false);
        for (int i = 1; i <= 7; i++) unknown.update(i, 0, "");
        unknown.finish();
        assertEquals("answered 1\nanswered 7\n", open.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void onATerminalTheBarIsRedrawnInPlace() {
        StringWriter text = new StringWriter();
        ProgressReporter p = new ProgressReporter(new PrintWriter(text), "k-means", "epochs", true);
        p.update(1, 4, "");
        p.update(4, 4, "");
        p.finish();
        String out = text.toString();
        assertTrue(out.startsWith("\rk-means [" + "=".repeat(7)) && out.contains("\rk-means [" + "=".repeat(30) + "] 4/4 epochs"), out);
        assertTrue(out.endsWith(System.lineSeparator()) && out.chars().filter(c -> c == '\n').count() == 1, out);
    }
}
