/*
 * PromptSimilarity.select on the CUDA backend (emulated device): the backend's FusedPromptSelection, i.e. the
 * cosine_topk kernel, on core's comparison cases (PromptSimilarityTest.cases(): ties, zero vectors, masks, k > nk,
 * F16/BF16 inputs, up to 64 queries × 1024 keys × 768) against the double reference, in both fiber orders.
 */
package dev.perennial.cuda;

import dev.perennial.prompt.PromptSimilarity;
import dev.perennial.prompt.PromptSimilarityTest;
import dev.perennial.prompt.FusedPromptSelection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaPromptSimilarityTest {
    private static final CudaBackend BE = CudaBackend.emulated();

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    static Stream<Arguments> cases() {
        return PromptSimilarityTest.cases().flatMap(a -> Stream.of(FiberOrder.values()).map(o -> Arguments.of(o, a.get()[0])));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void fusedKernelMatchesTheReference(FiberOrder order, PromptSimilarityTest.Case c) {
        EmulatedDevice.setFiberOrder(order);
        assertTrue(FusedPromptSelection.OP.offeredBy(BE), "the CUDA backend registers the cosine_topk kernel");
        PromptSimilarityTest.assertMatches(c, PromptSimilarity.select(BE, c.queries(), c.keys(), c.weights(), c.mask(), c.k()));
    }
}
