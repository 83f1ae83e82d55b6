/*
 * The result of Tape.backward: d(loss)/d(t) for every tensor gradients reached, in t's own geometry (a view of
 * the float32 gradient buffer of t's storage). Tensors gradients did not reach have none (null).
 */
package dev.perennial.autograd;

import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;

import java.util.Map;

/**
 * The result of {@link Tape#backward(Tensor)}: d(loss)/d(t) for every watched or kept tensor t that the backward pass
 * reached, as a float32 tensor of t's own shape (a view of its storage's gradient buffer), or null.
 * <p>Thread-safe for reading: its map is final and no longer modified once {@code backward} returns; the gradient
 * tensors follow {@link Tensor}'s rules (concurrent reads; writes need external synchronisation).
 */
public final class Gradients {
    private final Map<Storage, Tensor> buffers;

    Gradients(Map<Storage, Tensor> buffers) {
        this.buffers = buffers;
    }

    /** Every storage that has a gradient, with its flat F32 buffer [storage length]. */
    Map<Storage, Tensor> buffers() { return buffers; }

    /** The gradient of {@code t} (same shape, float32), or null when no gradient reached it. */
    public Tensor of(Tensor t) {
        Tensor buffer = buffers.get(t.storage());
        return buffer == null ? null : Tensor.view(buffer.storage(), t.shape(), t.strides(), t.offset());
    }
}
