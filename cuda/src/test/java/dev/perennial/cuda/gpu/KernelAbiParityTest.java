/*
 * The nvcc binding (CudaKernels) declares every launcher of the emulated binding (EmuKernels) with the same
 * parameter and return types, so code tested on the emulated device finds the same C ABI on a GPU. Emulator-only
 * controls (pn_emu_*) and the device probe are exempt.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.EmuKernels;
import dev.perennial.cuda.StaticBindingAbi;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelAbiParityTest {
    @Test
    void everyEmulatedLauncherHasTheSameSignatureOnTheGpuBinding() {
        Map<String, String> emu = launchers(EmuKernels.class), gpu = launchers(CudaKernels.class);
        emu.keySet().removeIf(n -> n.startsWith("pn_emu_"));
        gpu.remove("pn_device_count");
        assertTrue(emu.size() >= 2, "launchers found: " + emu.keySet());
        assertEquals(emu, gpu);
    }

    @Test
    void theGpuBindingImplementsEveryKernelAbiMethod() {
        assertNotNull(StaticBindingAbi.of(CudaKernels.class, () -> ""));   // resolves each method or names the missing
    }

    private static Map<String, String> launchers(Class<?> c) {
        Map<String, String> m = new TreeMap<>();
        for (Method method : c.getDeclaredMethods()) {
            if (Modifier.isNative(method.getModifiers())) {
                m.put(method.getName(), method.getReturnType().getSimpleName() + Arrays.toString(method.getParameterTypes()));
            }
        }
        return m;
    }
}
