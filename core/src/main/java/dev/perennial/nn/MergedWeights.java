/*
 * A base model with a chain of LoRA adapters merged into it, as ADAPT-∞'s steps chain (docs/methods/adapt-inf.md §1.3):
 * after step t trains its adapter, W ← W + (α/r)·B·A folds it into every linear it targets, and step t+1 trains a fresh
 * adapter on the merged model. Checkpoint weights are read-only memory maps, so nothing is written back: the merged
 * weights are an in-memory float32 overlay of exactly the touched linears (the others keep their mapped tensors), and
 * each later merge replaces the overlay (the previous one is freed). A half-precision checkpoint's touched matrices
 * therefore take twice their mapped size once merged; rounding a merged weight back to F16/BF16 would erase most of a
 * small update (BF16 keeps 8 significant bits), so it is not offered. The arithmetic is LoraAdapter.mergedInto, in the
 * order the adapters are merged: the same chain merged again gives the same bits (how a resumed run rebuilds it).
 */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The base weights with LoRA adapters merged in, W ← W + scaling·B·A per targeted linear ({@code [out, in]}), kept as a
 * float32 in-memory overlay of the touched layers: {@code merge} folds every attached adapter and detaches it,
 * {@code close} puts the checkpoint's own tensors back and frees the overlay.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); merging replaces the weights of
 * {@code Linear} layers that no other thread may use meanwhile.
 */
public final class MergedWeights implements AutoCloseable {
    private final Map<Linear, Tensor> originals = new IdentityHashMap<>();   // the checkpoint's tensor of each touched layer
    private int merges;

    /**
     * Folds the adapter attached to each of {@code linears} into its weight (float32 overlay) and detaches it; layers
     * without an adapter are left as they are. Returns how many layers changed.
     */
    public int merge(Backend be, Map<String, Linear> linears) {
        int changed = 0;
        for (Linear l : linears.values()) {
            LoraAdapter ad = l.adapter();
            if (ad == null) continue;
            Tensor before = l.weight();
            Tensor after = TensorScope.unscoped(ad.mergedInto(be, before));     // freed by this overlay, not by a caller's scope
            l.replaceWeight(after);
            l.setAdapter(null);
            if (originals.containsKey(l)) before.close();                // an earlier overlay, ours to free
            else originals.put(l, before);
            changed++;
        }
        merges++;
        return changed;
    }

    /** How many times {@code merge} ran (the length of the merged chain). */
    public int merges() { return merges; }

    /** True when no adapter has been merged. */
    public boolean isEmpty() { return originals.isEmpty(); }

    /** Puts every touched layer's checkpoint tensor back and frees the overlay; the chain is empty again. */
    @Override
    public void close() {
        for (var e : originals.entrySet()) {
            Tensor overlay = e.getKey().weight();
            e.getKey().replaceWeight(e.getValue());
            overlay.close();
        }
        originals.clear();
        merges = 0;
    }
}
