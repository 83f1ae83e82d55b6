/*
 * Backend.dropoutMask: the dropout kernel (cuda/src/main/cuda/dropout.cu) on the emulated device, the host form
 * (tensor.DropoutMask) and the sequential generator LoRA dropout drew its masks from before (java.util.
 * SplittableRandom(seed).nextDouble() per element) give the same mask bit for bit, under both fiber orders, for
 * sizes around the block and grid-stride boundaries; bad p is refused.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DropoutMask;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DropoutMaskTest {
    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> cases() {
        return Stream.of(FiberOrder.values()).flatMap(o -> Stream.of(
                Arguments.of(o, 0L, 0.1f, new int[]{1}), Arguments.of(o, -7L, 0.5f, new int[]{3, 85}),
                Arguments.of(o, Long.MIN_VALUE, 0.05f, new int[]{2, 2100}), Arguments.of(o, 42L, 0f, new int[]{257}),
                Arguments.of(o, 1234567890123L, 0.9f, new int[]{2_100_001})));
    }

    @ParameterizedTest(name = "{0} seed {1} p {2}")
    @MethodSource("cases")
    void theKernelTheHostFormAndSplittableRandomAgree(FiberOrder order, long seed, float p, int[] shape) {
        EmulatedDevice.setFiberOrder(order);
        float[] sequential = new float[(int) Tensor.zeros(dev.perennial.tensor.DType.U8, shape).numel()];
        SplittableRandom rng = new SplittableRandom(seed);
        float keep = 1f / (1f - p);
        int kept = 0;
        for (int i = 0; i < sequential.length; i++) {
            if (rng.nextDouble() >= p) {
                sequential[i] = keep;
                kept++;
            }
        }
        assertArrayEquals(sequential, DropoutMask.host(shape, p, seed).toFloatArray(), "host form");
        Tensor device = CudaBackend.emulated().dropoutMask(shape, p, seed);
        assertArrayEquals(shape, device.shape());
        assertArrayEquals(sequential, device.toFloatArray(), "kernel");
        if (sequential.length > 10_000) assertEquals(1 - p, kept / (double) sequential.length, 0.01, "keep rate");
    }

    @Test
    void aProbabilityOutsideZeroToOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DropoutMask.host(new int[]{2}, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().dropoutMask(new int[]{2}, -0.1f, 0));
        assertEquals(1, EmulatedDevice.abi().dropoutMask(0, 1f, 1f, 4, null, null), "cudaErrorInvalidValue");
    }
}
