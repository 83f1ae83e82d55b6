/*
 * NativeMemory, the cap on off-heap tensor memory: the derived cap (physical memory - heap - 1 GiB, with a floor for
 * tiny machines), the sizes a user may write in PERENNIAL_MAX_MEMORY, that the cap JavaCPP enforces is the one
 * configure() chose (JavaCPP reads it once, so configure() must run before its Pointer class is first used), and, in
 * fresh child JVMs (AllocateMain), the two user-visible behaviours: an allocation over a small cap fails with one
 * sentence naming the tensor, the sizes and how to raise the cap; and with a small Java heap a tensor larger than the
 * heap still fits, where JavaCPP's own default (cap = heap) refused it.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeMemoryTest {
    private static final long KIB = 1L << 10, MIB = 1L << 20, GIB = 1L << 30;
    private static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path tmp;

    @Test
    void derivedCapLeavesTheHeapAndOneGibibyte() {
        assertEquals(17 * GIB, NativeMemory.derivedCap(24 * GIB, 6 * GIB));
        assertEquals(64 * GIB - 16 * GIB - GIB, NativeMemory.derivedCap(64 * GIB, 16 * GIB));
    }

    @Test
    void tinyMachinesKeepAFloor() {
        assertEquals(512 * MIB, NativeMemory.derivedCap(GIB, GIB), "half of physical memory when that is below 1 GiB");
        assertEquals(GIB, NativeMemory.derivedCap(4 * GIB, 3 * GIB), "at least 1 GiB where physical memory allows");
        assertEquals(GIB, NativeMemory.derivedCap(2 * GIB, 512 * MIB), "2 - 0.5 - 1 = 0.5 GiB is raised to the 1 GiB floor");
    }

    @Test
    void parseBytesReadsTheSizesUsersWrite() {
        assertEquals(20 * GIB, NativeMemory.parseBytes("20g"));
        assertEquals(512 * MIB, NativeMemory.parseBytes("512m"));
        assertEquals(3 * GIB / 2, NativeMemory.parseBytes("1.5g"));
        assertEquals(4096, NativeMemory.parseBytes("4096"));
        assertEquals(2 * GIB, NativeMemory.parseBytes("2GB"));
        assertEquals(4096 * KIB, NativeMemory.parseBytes("4096k"));
        assertEquals(2L << 40, NativeMemory.parseBytes("2T"));
        assertEquals(100, NativeMemory.parseBytes("100b"));
    }

    @Test
    void parseBytesRejectsWhatIsNoSize() {
        for (String s : List.of("abc", "-1g", "0", "", "g", "gb", "0m", "NaN", "1e400", "twenty")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeMemory.parseBytes(s), "'" + s + "'");
            assertTrue(e.getMessage().contains(NativeMemory.ENV) && e.getMessage().contains("'" + s + "'"),
                    "the message names the variable and the value: " + e.getMessage());
        }
    }

    /** Whether this JVM was started with JavaCPP's own cap (surefire's argLine does, for instance). */
    private static boolean javacppCapGiven() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.toLowerCase(java.util.Locale.ROOT).startsWith("-dorg.bytedeco.javacpp.maxbytes="));
    }

    private static long physicalBytes() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    @Test
    void theCapInForceIsTheConfiguredOne() {
        try (Tensor t = Tensor.zeros(DType.F32, 4)) {                      // the way into JavaCPP every tensor takes
            assertEquals(4, t.numel());
        }
        NativeMemory.configure();                                          // idempotent: a second call changes nothing
        long cap = NativeMemory.cap();
        // JavaCPP reads maxBytes, falling back to maxbytes; configure() writes maxBytes as a plain byte count
        String property = System.getProperty("org.bytedeco.javacpp.maxBytes", System.getProperty("org.bytedeco.javacpp.maxbytes"));
        assertEquals(NativeMemory.parseBytes(property), cap,
                "JavaCPP enforces the cap configure() set (or the one given on the command line, " + property + ")");
        if (!javacppCapGiven()) {
            String asked = System.getProperty(NativeMemory.PROPERTY, System.getenv(NativeMemory.ENV));
            long expected = asked != null && !asked.isBlank() ? NativeMemory.parseBytes(asked.trim())
                    : NativeMemory.derivedCap(physicalBytes(), Runtime.getRuntime().maxMemory());
            assertEquals(expected, cap, "origin: " + NativeMemory.origin());
            assertFalse(NativeMemory.origin().contains("org.bytedeco"), "the cap was not set by JavaCPP's property: " + NativeMemory.origin());
        } else {
            assertTrue(NativeMemory.origin().contains("org.bytedeco.javacpp.maxBytes"), NativeMemory.origin());
        }
        Assumptions.assumeTrue(physicalBytes() > 4 * GIB, "needs a machine with more than 4 GiB of memory");
        assertTrue(cap > Runtime.getRuntime().maxMemory(),
                "the native cap " + cap + " must exceed the heap " + Runtime.getRuntime().maxMemory() + " (" + NativeMemory.origin() + ")");
    }

    private record ChildRun(int exit, List<String> out, String err) {
        String line(String prefix) {
            return out.stream().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no '" + prefix + "' line in " + out + "\nstderr:\n" + err))
                    .substring(prefix.length());
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stdout " + out + "\nstderr:\n" + err;
        }
    }

    /** Runs AllocateMain in a fresh JVM with {@code jvmOptions}; PERENNIAL_MAX_MEMORY is {@code maxMemory} or unset. */
    private ChildRun allocateInChild(String maxMemory, List<String> jvmOptions, int rows, int cols) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AllocateMain.class.getName(), "" + rows, "" + cols));
        Path out = tmp.resolve("child-" + rows + "x" + cols + ".out"), err = tmp.resolve("child-" + rows + "x" + cols + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove(NativeMemory.ENV);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        if (maxMemory != null) pb.environment().put(NativeMemory.ENV, maxMemory);
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "the child JVM did not finish in " + CHILD_TIMEOUT_S + " s");
            return new ChildRun(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8), read(err));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p) : "";
    }

    @Test
    @Timeout(value = 2 * CHILD_TIMEOUT_S, unit = TimeUnit.SECONDS)
    void anAllocationOverTheCapFailsWithOneSentenceSayingHowToRaiseIt() throws Exception {
        ChildRun r = allocateInChild("64m", List.of(), 8192, 4096);                      // 128 MiB of float32
        assertEquals(0, r.exit(), r.toString());
        assertEquals(64 * MIB, Long.parseLong(r.line("cap ")), "the cap from PERENNIAL_MAX_MEMORY is in force: " + r);
        assertEquals(NativeMemory.ExhaustedError.class.getName(), r.line("error "), r.toString());
        int at = r.out().indexOf("error " + NativeMemory.ExhaustedError.class.getName()), end = r.out().indexOf("end");
        assertEquals(1, end - at - 1, "the message is one line: " + r);
        String msg = r.out().get(at + 1);
        for (String part : List.of("F32", "[8192, 4096]", "128.0 MB", "64.0 MB", "PERENNIAL_MAX_MEMORY")) {
            assertTrue(msg.contains(part), "the message names " + part + ": " + msg);
        }
        assertTrue(msg.contains("(set by " + NativeMemory.ENV + ")"), "the message says where the cap came from: " + msg);
        assertEquals("set by " + NativeMemory.ENV, r.line("origin "), r.toString());
    }

    @Test
    @Timeout(value = 2 * CHILD_TIMEOUT_S, unit = TimeUnit.SECONDS)
    void aSmallHeapDoesNotCapNativeMemory() throws Exception {
        Assumptions.assumeTrue(physicalBytes() >= 4 * GIB, "needs a machine with at least 4 GiB of memory");
        ChildRun r = allocateInChild(null, List.of("-Xmx128m"), 8192, 8192);              // 256 MiB, twice the heap
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().stream().anyMatch(l -> l.equals("ok " + 8192L * 8192)), "256 MiB must fit beside a 128 MiB heap: " + r);
        long cap = Long.parseLong(r.line("cap "));
        assertTrue(cap > 256 * MIB, "the cap is derived from physical memory, not the heap: " + r);
        assertTrue(r.line("origin ").startsWith("derived from"), r.toString());
    }
}
