/*
 * Named crash points for fault-injection tests (docs/reliability.md): every place where durable state is committed
 * (an atomic file replacement, a folder rename) calls point(name) just before and just after the commit. In normal
 * use nothing is configured and a point costs one volatile-free static read.
 *
 * Two environment variables, read once, drive it from a parent test process:
 *   PERENNIAL_FAULT_TRACE=FILE  appends "<n> <name>" for the n-th point reached (1-based) to FILE, so a harness
 *                               learns how many points an uninterrupted run passes;
 *   PERENNIAL_FAULT_AT=N        halts the JVM at the N-th point with exit code 137, like `kill -9`: no shutdown hooks,
 *                               no finally blocks, no buffered output flushed (Runtime.halt).
 * Environment variables rather than system properties, so a harness can set them for a `java -jar` child without
 * touching its command line; they are never needed for normal use.
 */
package dev.perennial.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Named crash points for fault-injection tests: every durable commit calls {@code point(name)} before and after it.
 * Configured once from the environment: {@code PERENNIAL_FAULT_TRACE} appends each point reached to a file, and
 * {@code PERENNIAL_FAULT_AT=N} halts the JVM at the N-th point with exit code 137; unset, a point does nothing.
 * <p>Thread-safe: its configuration is read once into static final fields and the count of points reached is an
 * {@code AtomicLong}.
 */
public final class FaultInjection {
    /** Exit code of an injected crash (128 + SIGKILL, what a shell reports for kill -9). */
    public static final int HALT_CODE = 137;

    private static final long HALT_AT = parse(System.getenv("PERENNIAL_FAULT_AT"));
    private static final Path TRACE = System.getenv("PERENNIAL_FAULT_TRACE") == null ? null : Path.of(System.getenv("PERENNIAL_FAULT_TRACE"));
    private static final boolean ACTIVE = HALT_AT > 0 || TRACE != null;
    private static final AtomicLong reached = new AtomicLong();

    private FaultInjection() {}

    /** Marks a crash point; halts the JVM here when this is the configured one. */
    public static void point(String name) {
        if (!ACTIVE) return;
        long n = reached.incrementAndGet();
        if (TRACE != null) {
            try {
                Files.write(TRACE, (n + " " + name + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the fault trace " + TRACE, e);
            }
        }
        if (n == HALT_AT) Runtime.getRuntime().halt(HALT_CODE);
    }

    private static long parse(String s) {
        if (s == null || s.isBlank()) return 0;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PERENNIAL_FAULT_AT must be a point number, not '" + s + "'");
        }
    }
}
