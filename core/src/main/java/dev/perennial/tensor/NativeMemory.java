/*
 * The cap on off-heap tensor memory, and what an allocation beyond it reports (docs/architecture.md, "Memory").
 *
 * Tensors live in native memory allocated through JavaCPP, which refuses to allocate past its maxBytes. JavaCPP's
 * default cap is the Java heap's maximum (a quarter of physical memory by default), which has nothing to do with how
 * much native memory a model needs: a 221M-parameter full fine-tune needs ~12 GB and was refused on a 24 GB
 * machine under plain `java -jar`. So before JavaCPP's Pointer class is first used — Backends and Storage call
 * configure() from their static initialisers, the command line first thing — it derives the cap from physical
 * memory instead:
 *
 *     cap = physical memory - maximum Java heap - 1 GiB (kept for the JVM, the OS and file-cache pages)
 *
 * at least 1 GiB (or half of physical memory if that is smaller). JavaCPP's second guard, maxPhysicalBytes (the
 * process's resident size), is switched off (0) unless the user set it: it reads the resident size on every allocation
 * (1.2 µs of the 2.1 µs a small tensor's allocation took here, and a small model's scoring pass allocates ~1,000
 * tensors), and at physical memory, the only bound that does not misfire on memory-mapped weights (which count as
 * resident), it could never trigger before the operating system runs out anyway. The user sets another cap with the environment variable
 * PERENNIAL_MAX_MEMORY or the system property perennial.maxMemory ("20g", "512m", bytes); an explicit
 * org.bytedeco.javacpp.maxBytes is left alone. Physical memory is what the JVM reports (container limits included).
 *
 * When an allocation fails anyway, exhausted() turns JavaCPP's error into one sentence: what was being allocated
 * and how much, how much is in use, the cap, and how to raise it.
 */
package dev.perennial.tensor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * The cap in bytes on off-heap tensor memory: {@code configure} sets JavaCPP's limit to physical memory minus the Java
 * heap and 1 GiB, or to {@code PERENNIAL_MAX_MEMORY} or {@code -Dperennial.maxMemory} ("20g", "512m", bytes), before
 * JavaCPP is first used; an allocation beyond it fails with a one-line {@link ExhaustedError}.
 * <p>Thread-safe: {@code configure} is synchronized and first runs in the static initializer, so the static fields are
 * set during class initialisation and only read afterwards; the other methods are pure or read JavaCPP's counters.
 */
public final class NativeMemory {
    private static final Logger log = LoggerFactory.getLogger(NativeMemory.class);
    public static final String ENV = "PERENNIAL_MAX_MEMORY", PROPERTY = "perennial.maxMemory";
    private static final String JAVACPP_MAX = "org.bytedeco.javacpp.maxBytes", JAVACPP_MAX_PHYSICAL = "org.bytedeco.javacpp.maxPhysicalBytes";
    private static final long GIB = 1L << 30;
    private static String origin = "JavaCPP's default";
    private static long configuredCap;                  // what configure() set (0: it set nothing)
    private static boolean configured;

    private NativeMemory() {}

    /** An allocation that did not fit; the message is the one line a user sees. */
    public static final class ExhaustedError extends OutOfMemoryError {
        public ExhaustedError(String message, Throwable cause) {
            super(message);
            initCause(cause);
        }
    }

    static {
        configure();
    }

    /** Sets JavaCPP's caps (see the class comment); idempotent. Called before any tensor memory is allocated. */
    public static synchronized void configure() {
        if (configured) return;                 // a second call would take our own maxBytes for the user's
        configured = true;
        if (System.getProperty(JAVACPP_MAX) != null || System.getProperty("org.bytedeco.javacpp.maxbytes") != null) {
            origin = "set by " + JAVACPP_MAX;
            return;
        }
        long physical = physicalBytes();
        String asked = System.getProperty(PROPERTY, System.getenv(ENV));
        long cap;
        if (asked != null && !asked.isBlank()) {
            cap = parseBytes(asked.trim());
            origin = "set by " + (System.getProperty(PROPERTY) != null ? "-D" + PROPERTY : ENV);
        } else {
            cap = derivedCap(physical, Runtime.getRuntime().maxMemory());
            origin = "derived from " + gb(physical) + " physical memory";
        }
        System.setProperty(JAVACPP_MAX, Long.toString(cap));
        configuredCap = cap;
        if (System.getProperty(JAVACPP_MAX_PHYSICAL) == null) System.setProperty(JAVACPP_MAX_PHYSICAL, "0");
    }

    /** The cap for a machine with {@code physical} bytes of memory and a Java heap of at most {@code heapMax}. */
    public static long derivedCap(long physical, long heapMax) {
        long floor = Math.min(GIB, physical / 2);
        return Math.max(floor, physical - heapMax - GIB);
    }

    /** The cap in force (JavaCPP's maxBytes; 0 = none). */
    public static long cap() {
        return org.bytedeco.javacpp.Pointer.maxBytes();
    }

    /** Where the cap in force came from, for messages ("derived from 24.0 GB physical memory"). */
    public static String origin() {
        if (configuredCap > 0 && cap() != configuredCap) {
            return "JavaCPP's default, the Java heap's maximum: JavaCPP was in use before perennial could set the cap; "
                    + "set -D" + JAVACPP_MAX + " instead";
        }
        return origin;
    }

    /** "20g", "512m", "4096k" or a byte count. */
    public static long parseBytes(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 't' -> unit = 1L << 40;
            case 'g' -> unit = GIB;
            case 'm' -> unit = 1L << 20;
            case 'k' -> unit = 1L << 10;
            default -> unit = 1;
        }
        if (unit != 1) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t);
            if (!(v > 0) || Double.isInfinite(v)) throw new NumberFormatException();
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ENV + " / " + PROPERTY + " must be a size such as 20g, 512m or a byte count, not '" + s + "'");
        }
    }

    /** One-line error for a failed allocation of {@code bytes} for a {@code dtype} tensor of {@code shape} (null: {@code elements}). */
    static ExhaustedError exhausted(DType dtype, int[] shape, long elements, long bytes, OutOfMemoryError cause) {
        String what = dtype + " tensor " + (shape != null ? java.util.Arrays.toString(shape) : "of " + elements + " elements");
        long used = org.bytedeco.javacpp.Pointer.totalBytes(), cap = cap();
        String msg = String.format(Locale.ROOT, "out of memory allocating %s for a %s: %s of native memory in use, the cap is %s (%s); "
                        + "raise it with the environment variable %s (e.g. %s=%s) or -D%s, or use a smaller batch or model",
                gb(bytes), what, gb(used), cap > 0 ? gb(cap) : "none", origin(), ENV, ENV, suggestion(Math.max(cap, used + bytes)), PROPERTY);
        log.debug("JavaCPP: {}", cause.getMessage());
        return new ExhaustedError(msg, cause);
    }

    private static String suggestion(long atLeast) {
        long g = (atLeast + GIB - 1) / GIB + 2;
        return g + "g";
    }

    static String gb(long bytes) {
        if (bytes >= GIB) return String.format(Locale.ROOT, "%.1f GB", bytes / (double) GIB);
        if (bytes >= 1 << 20) return String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }

    private static long physicalBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getTotalMemorySize();
        return 4 * Runtime.getRuntime().maxMemory();                          // the JVM's own default heap is a quarter
    }
}
