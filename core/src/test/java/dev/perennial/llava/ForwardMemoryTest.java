/*
 * A caller who knows nothing of TensorScope: LlavaModel.forward frees its own temporaries before it returns, so a
 * call leaves behind only what it returns, and once enough returned results have escaped to the garbage collector
 * a collection is requested (TensorScope.escapedToGc), so memory stays flat over many calls (measured on the demo
 * model: 1,000 unscoped calls took RSS to 2.6 GB before, about 0.2 GB now; docs/performance.md). Counted with
 * JavaCPP's total of live native bytes on the tiny model: without the scope a call left 5x its outputs behind.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardMemoryTest {
    @Test
    void aForwardCallLeavesOnlyItsOutputsBehind() throws IOException {
        try (LlavaModel m = LlavaModel.load(Goldens.tinyHf())) {
            Backend be = new CpuBackend();
            long[] ids = Goldens.npy("input_ids").toLongArray(), labels = Goldens.npy("labels").toLongArray();
            Tensor pixels = Goldens.npy("pixel_values");
            for (int i = 0; i < 3; i++) m.forward(be, List.of(ids), pixels, List.of(labels));        // warm-up (masks, caches)
            long leftBeyondOutputs = Long.MAX_VALUE, outputs = 0;
            for (int i = 0; i < 5; i++) {                                   // the least of 5 calls: a GC may free some
                long before = Pointer.totalBytes();
                LlavaModel.Output out = m.forward(be, List.of(ids), pixels, List.of(labels));
                long grown = Pointer.totalBytes() - before;
                outputs = bytes(out);
                leftBeyondOutputs = Math.min(leftBeyondOutputs, grown - outputs);
            }
            assertTrue(leftBeyondOutputs <= 64 * 1024, "a call left " + leftBeyondOutputs + " bytes beyond its "
                    + outputs + " bytes of outputs");
        }
    }

    /** The native bytes of the distinct storages an Output holds. */
    private static long bytes(LlavaModel.Output out) {
        List<Tensor> ts = new ArrayList<>(List.of(out.inputs().embeds(), out.inputs().positions(), out.hidden().normed(), out.logits()));
        ts.addAll(out.hidden().layerOutputs());
        if (out.inputs().labels() != null) ts.add(out.inputs().labels());
        if (out.perTokenLoss() != null) ts.add(out.perTokenLoss());
        if (out.lossTensor() != null) ts.add(out.lossTensor());
        Set<Storage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long n = 0;
        for (Tensor t : ts) if (seen.add(t.storage())) n += (long) t.storage().length() * t.dtype().byteSize();
        return n;
    }
}
