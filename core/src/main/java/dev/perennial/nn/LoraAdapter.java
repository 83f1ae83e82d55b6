/*
 * A LoRA adapter (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") for one linear layer:
 * Δy = (alpha / r) · dropout(x) · Aᵀ · Bᵀ with A [r, in] and B [out, r]. PEFT's initialisation: A Kaiming-
 * uniform (a = √5, i.e. U(-1/√in, 1/√in)), B zero, so a fresh adapter changes nothing (bit-identical outputs).
 *
 * Dropout (only in training mode) draws its mask from the adapter's own seeded generator, so runs are
 * reproducible. For per-sample
 * gradients (ADAPT-∞'s sample vectors) an activation capture can be attached: each forward then records the
 * branch input, h = x·Aᵀ and z = Δy = h·(s·B)ᵀ (s = alpha / r folded into a scaled copy of B, which is r·out
 * elements instead of T·out: no scaled activation is kept for backward), whose gradients give the per-sample
 * outer products.
 */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Recomputation;
import dev.perennial.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * The LoRA branch of one linear layer: {@code forward} maps x {@code [..., in]} to
 * {@code scaling * dropout(x) A^T B^T} {@code [..., out]}, with A {@code [r, in]} and B {@code [out, r]}; dropout
 * applies only in training mode, drawn from the adapter's own seeded generator, and activations can be captured for
 * per-sample gradients.
 * <p>Not thread-safe while training: {@code setTraining}, {@code reseed} and forward passes in training mode change
 * unsynchronized fields (the dropout generator). Capture is per thread: {@code capture} and {@code captured} see only
 * the calling thread's recording, so several threads may capture their own forward passes at once (ADAPT-∞ scores
 * samples of a small model in parallel, docs/architecture.md "ADAPT-∞ scoring"). With training off (the default)
 * {@code forward} only reads A and B, which is what lets {@code LlavaModel} inference run on several threads.
 */
public final class LoraAdapter {
    /** What one forward pass of the branch computed: input (after dropout), h = x·Aᵀ, z = Δy = scaling · h·Bᵀ. */
    public record Activations(Tensor x, Tensor h, Tensor z) {}

    private final Tensor a;         // [r, in]
    private final Tensor b;         // [out, r]
    private final float scaling;    // alpha / r
    private final float dropout;
    private SplittableRandom rng;
    private long recordedMaskSeed;  // the mask seed of this adapter's last forward inside a checkpointed layer
    private final ThreadLocal<Activations[]> capture = new ThreadLocal<>();   // this thread's last recording, when on
    private boolean training;

    public LoraAdapter(Tensor a, Tensor b, float scaling, float dropout, long seed) {
        if (a.rank() != 2 || b.rank() != 2 || a.size(0) != b.size(1)) {
            throw new IllegalArgumentException("LoRA A must be [r, in] and B [out, r], got " + a + " and " + b);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1)");
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.dropout = dropout;
        this.rng = new SplittableRandom(seed);
    }

    public Tensor a() { return a; }
    public Tensor b() { return b; }
    public float scaling() { return scaling; }
    public int rank() { return a.size(0); }
    public int inFeatures() { return a.size(1); }
    public int outFeatures() { return b.size(0); }

    /**
     * The weight this adapter folds into: W + scaling·(B·A), float32 {@code [out, in]} whatever W's precision, as PEFT
     * merges a float32 model: Δ = B·A by the backend's float32 GEMM (r products summed in float32), then Δ·scaling and
     * W + Δ, each rounded to float32 (an F16/BF16 W widens exactly). The same inputs on the same backend and thread count
     * give the same bits, which is what lets a resumed run rebuild a merged model exactly (docs/methods/adapt-inf.md §1.3).
     */
    public Tensor mergedInto(Backend be, Tensor w) {
        if (w.rank() != 2 || w.size(0) != outFeatures() || w.size(1) != inFeatures()) {
            throw new IllegalArgumentException("LoRA " + outFeatures() + "x" + inFeatures() + " cannot merge into " + w);
        }
        Tensor ba = be.matmul(b, a);                                      // [out, in]
        Tensor delta = be.scale(ba, scaling);
        ba.close();
        Tensor merged = be.add(w, delta);
        delta.close();
        return merged;
    }

    /** Dropout is applied only while training (a trainer switches it on for its steps); off by default. */
    public void setTraining(boolean on) {
        training = on;
    }

    /** Restarts the dropout generator from {@code seed} (trainers reseed per step, so resumed runs repeat masks). */
    public void reseed(long seed) {
        rng = new SplittableRandom(seed);
    }

    /** Starts (true) or stops recording the activations of the calling thread's following forward passes. */
    public void capture(boolean on) {
        if (on) capture.set(new Activations[1]);
        else capture.remove();
    }

    /** The activations of the calling thread's last forward pass while capturing, or null. */
    public Activations captured() {
        Activations[] slot = capture.get();
        return slot == null ? null : slot[0];
    }

    /** Δy for x [..., in] -> [..., out] */
    public Tensor forward(Backend be, Tensor x) {
        Tensor in = dropout == 0f || !training ? x : be.mul(x, dropoutMask(be, x.shape()));
        Tensor h = be.matmul(in, a.transpose(0, 1));                 // [..., r]
        Tensor scaledB = scaling == 1f ? b : be.scale(b, scaling);   // [out, r]: scaling B costs out·r, scaling z T·out
        Tensor z = be.matmul(h, scaledB.transpose(0, 1));            // [..., out] = Δy
        Activations[] slot = capture.get();
        if (slot != null) slot[0] = new Activations(in, h, z);
        return z;
    }

    /**
     * Inverted dropout mask: 0 with probability p, else 1/(1-p), drawn by the backend (Backend.dropoutMask, the
     * same mask on every backend; made on the device there) from the adapter's next long. In a checkpointed layer
     * the recomputation reuses the seed its forward pass drew (Recomputation), so both passes apply the same mask.
     */
    private Tensor dropoutMask(Backend be, int[] shape) {
        long maskSeed = switch (Recomputation.phase()) {
            case AGAIN -> recordedMaskSeed;
            case FIRST -> recordedMaskSeed = rng.nextLong();
            case NONE -> rng.nextLong();
        };
        return be.dropoutMask(shape, dropout, maskSeed);
    }
}
