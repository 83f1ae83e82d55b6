/*
 * The GPU probe and provider on any machine: probing never throws and always gives a reason; without a GPU (these
 * machines: pn_device_count returns 35, no driver) "auto" falls back to the CPU backend and asking for "cuda" by
 * name is a clear error. With a GPU, "auto" picks it.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.CudaBackend;
import dev.perennial.tensor.Backends;
import dev.perennial.tensor.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuProbeTest {
    @Test
    void probeGivesAReasonAndAutoFollowsIt() {
        assertFalse(GpuProbe.reason().isBlank());
        assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals("cuda")));
        if (GpuProbe.available()) {
            assertInstanceOf(CudaBackend.class, Backends.select("auto"));
        } else {
            assertInstanceOf(CpuBackend.class, Backends.select("auto"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda"));
            assertTrue(e.getMessage().contains(GpuProbe.reason()), e.getMessage());
        }
    }
}
