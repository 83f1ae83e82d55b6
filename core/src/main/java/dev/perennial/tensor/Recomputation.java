/*
 * Which pass of a recomputed segment is running on this thread (gradient checkpointing, GradBackend.checkpoint):
 * code that draws random numbers inside a segment (LoRA dropout) records what it drew in the FIRST pass and draws
 * the same again in the AGAIN pass, so the recomputation equals the forward pass. Lives in `tensor` because the
 * drawing code (nn) and the checkpointing code (autograd) both depend on it and not on each other.
 */
package dev.perennial.tensor;

import java.util.function.Supplier;

/**
 * Which pass of a gradient-checkpointed segment the current thread is running ({@code NONE}, {@code FIRST} or
 * {@code AGAIN}), so that code drawing random numbers in a segment (LoRA dropout) draws the same in the recomputation.
 * <p>Thread-safe: the phase is thread-local, so each thread sees only its own.
 */
public final class Recomputation {
    /** NONE: not in a checkpointed segment; FIRST: its forward pass; AGAIN: its recomputation in backward. */
    public enum Phase { NONE, FIRST, AGAIN }

    private static final ThreadLocal<Phase> PHASE = ThreadLocal.withInitial(() -> Phase.NONE);

    private Recomputation() {}

    public static Phase phase() { return PHASE.get(); }

    /** Runs {@code body} with this thread in {@code phase}, restoring the previous phase afterwards. */
    public static <T> T run(Phase phase, Supplier<T> body) {
        Phase before = PHASE.get();
        PHASE.set(phase);
        try {
            return body.get();
        } finally {
            PHASE.set(before);
        }
    }
}
