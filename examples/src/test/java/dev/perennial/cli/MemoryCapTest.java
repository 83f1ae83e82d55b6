/*
 * The native memory cap follows physical memory, not the Java heap, on the command line's
 * own path. Selecting the backend probes for a GPU through JavaCPP, which fixes JavaCPP's cap for the life of the
 * JVM; the cap must already be set by then (a 221M full fine-tune was refused at 5.9 GB, the default heap, with
 * 20 GB free). A child JVM with a 128 MB heap selects the backend and reports the cap.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MemoryCapTest {
    @Test
    void theCapIsDerivedFromPhysicalMemoryEvenAfterTheGpuProbe() throws Exception {
        long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        Assumptions.assumeTrue(physical >= 4L << 30, "needs a machine with at least 4 GiB of memory");
        CliRun r = CliRun.child(List.of("-Xmx128m"), Map.of(), CapAfterBackendMain.class);
        String text = r.out() + r.err();
        assertEquals(0, r.exitCode(), text);
        List<String> lines = r.out().lines().toList();
        long cap = Long.parseLong(lines.stream().filter(l -> l.startsWith("cap ")).findFirst().orElseThrow().substring(4));
        assertTrue(cap > 1L << 30, "the cap must not be the 128 MB heap: " + text);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("origin derived from")), text);
    }
}
