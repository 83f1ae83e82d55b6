/*
 * The emulated device reports kernel bugs as launch errors instead of hanging or returning garbage
 * (simt_emu.h): barrier divergence gives 719 (cudaErrorLaunchFailure) with an explanation, and the error does
 * not stick to the next, correct launch.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmulatorStrictnessTest {
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void barrierDivergenceIsLaunchFailure(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        try {
            assertEquals(719, EmuKernels.pn_emu_barrier_divergence(64));
            String message = EmuKernels.pn_emu_last_message();
            assertTrue(message.contains("barrier divergence"), message);
            Tensor y = EmulatedDevice.kernels().softmax(Tensor.of(new float[]{0f, 0f}, 1, 2), 1f, null);
            assertEquals(0.5f, y.getFloat(0, 0));
        } finally {
            EmulatedDevice.setFiberOrder(FiberOrder.FORWARD);
        }
    }
}
