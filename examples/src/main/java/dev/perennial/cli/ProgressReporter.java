/*
 * The one progress display of every long command (train, prompt-train, prompt-eval, score, select, demo): a bar
 * "label [=====     ] done/total unit  detail" (just "label done unit detail" when the total is not known). On a terminal it is redrawn in place (\r) and ended with one
 * newline; anywhere else (a log file, CI, a pipe) each update is a line of its own, at most one every 10 seconds
 * plus the last, so progress never lands in the middle of a log line and a log does not fill with redraws.
 */
package dev.perennial.cli;

import java.io.Console;
import java.io.PrintWriter;

final class ProgressReporter {
    private static final long QUIET_NANOS = 10_000_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label, unit;
    private final boolean terminal;
    private boolean drawn;
    private long lastLine = Long.MIN_VALUE;
    private String unprinted;                 // off a terminal: the latest update a quiet period held back

    ProgressReporter(PrintWriter err, String label, String unit, boolean terminal) {
        this.err = err;
        this.label = label;
        this.unit = unit;
        this.terminal = terminal;
    }

    /** A reporter on {@code err} that redraws in place only when stderr is a terminal. */
    static ProgressReporter on(PrintWriter err, String label, String unit) {
        return new ProgressReporter(err, label, unit, isTerminal());
    }

    /** Whether this JVM talks to a terminal (Java 22+ asks Console.isTerminal; older JVMs have no console otherwise). */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) return false;
        try {
            return (boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Shows {@code done} of {@code total} (total < 1: unknown), followed by {@code detail} (rates, loss, ETA). */
    synchronized void update(long done, long total, String detail) {
        boolean last = total > 0 && done >= total;
        long now = System.nanoTime();
        String count;
        if (total > 0) {
            int bar = (int) (WIDTH * Math.min(done, total) / total);
            count = "[" + "=".repeat(bar) + " ".repeat(WIDTH - bar) + "] " + done + "/" + total;
        } else {
            count = Long.toString(done);
        }
        String text = (label.isEmpty() ? "" : label + " ") + count + (unit.isEmpty() ? "" : " " + unit) + (detail.isEmpty() ? "" : " " + detail);
        if (!terminal && !last && lastLine != Long.MIN_VALUE && now - lastLine < QUIET_NANOS) {
            unprinted = text;
            return;
        }
        unprinted = null;
        if (terminal) {
            err.print("\r" + text);
            drawn = true;
        } else {
            err.println(text);
            lastLine = now;
        }
        err.flush();
    }

    /** Ends the display (a newline after an in-place bar). */
    synchronized void finish() {
        if (terminal && drawn) err.println();
        if (!terminal && unprinted != null) err.println(unprinted);
        drawn = false;
        unprinted = null;
        err.flush();
    }
}
