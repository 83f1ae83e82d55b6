/* Backend selection without accelerator providers on the class path (core alone): cpu, auto -> cpu, errors. */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    @Test
    void cpuAndAutoWithoutProvidersGiveTheCpuBackend() {
        assertTrue(Backends.providers().isEmpty(), "core has no providers of its own");
        assertInstanceOf(CpuBackend.class, Backends.select("cpu"));
        assertInstanceOf(CpuBackend.class, Backends.select(" AUTO "));
    }

    @Test
    void anUnknownNameListsTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("tpu"));
        assertTrue(e.getMessage().contains("auto, cpu"), e.getMessage());
    }
}
