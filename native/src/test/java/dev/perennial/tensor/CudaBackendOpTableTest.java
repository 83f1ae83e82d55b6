/*
 * The shared op test table (core's OpTableTest: every Backend op on odd shapes, views, F16/BF16 inputs, masks,
 * attention with GQA/padding/cache views) run on CudaBackend over the emulated device, against ReferenceBackend
 * with the table's own tolerances, under both fiber orders (a missing __syncthreads() shows in one of them).
 * Lives in core's package to reuse the package-private table from perennial-core's test jar.
 */
package dev.perennial.tensor;

import dev.perennial.cuda.CudaBackend;
import dev.perennial.cuda.EmulatedDevice;
import dev.perennial.cuda.FiberOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CudaBackendOpTableTest {
    private static final CudaBackend BACKEND = CudaBackend.emulated();

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> table() {
        return Stream.of(FiberOrder.values()).flatMap(o -> OpTableTest.cases().stream().map(c -> Arguments.of(o, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("table")
    void matchesReference(FiberOrder order, OpTableTest.OpCase oc) {
        EmulatedDevice.setFiberOrder(order);
        List<Tensor> expected = OpTableTest.flatten(oc.run().apply(ReferenceBackend.INSTANCE));
        List<Tensor> actual = OpTableTest.flatten(oc.run().apply(BACKEND));
        assertEquals(expected.size(), actual.size(), "number of outputs");
        for (int i = 0; i < expected.size(); i++) OpTableTest.assertClose(expected.get(i), actual.get(i), oc.atol(), oc.rtol(), oc.name());
    }
}
