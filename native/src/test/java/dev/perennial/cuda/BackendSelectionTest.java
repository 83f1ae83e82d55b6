/*
 * Backend selection with perennial-native on the class path: "cuda-emulated" is offered and works by name, but
 * "auto" keeps the CPU backend (the emulated device is never faster; the real GPU provider is gpu.GpuCudaProvider).
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backends;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendSelectionTest {
    @Test
    void emulatedDeviceIsSelectableByNameButNotByAuto() {
        assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals("cuda-emulated")));
        assertInstanceOf(CpuBackend.class, Backends.select("auto"));
        CudaBackend be = assertInstanceOf(CudaBackend.class, Backends.select("cuda-emulated"));
        Tensor y = be.softmax(Tensor.of(new float[]{0f, 0f}, 1, 2), 1f, null);
        assertArrayEquals(new float[]{0.5f, 0.5f}, y.toFloatArray());
    }
}
