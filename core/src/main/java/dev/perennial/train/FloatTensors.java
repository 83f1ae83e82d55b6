/*
 * The one tensor form the training package reads and updates in place: float32, contiguous, and (for
 * updates) writable. Parameters and gradients come from autograd in that form; checking it once here gives a
 * single clear error instead of a wrong-dtype buffer exception deep inside an update loop.
 *
 * The returned FloatBuffer starts at the tensor's first element, so loops index it from 0 to numel. Loops use
 * absolute get/put only, which lets several threads share one buffer on disjoint ranges.
 */
package dev.perennial.train;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

final class FloatTensors {
    private FloatTensors() {}

    /** The elements of {@code t}, which {@code what} (e.g. "gradient 'w'") names in errors. */
    static FloatBuffer read(String what, Tensor t) {
        check(what, t);
        return t.storage().floats().slice(t.offset(), (int) t.numel());
    }

    /** As read(), and the tensor must not be read-only (a memory-mapped checkpoint). */
    static FloatBuffer write(String what, Tensor t) {
        checkWritable(what, t);
        return read(what, t);
    }

    /** Checks the form only, without touching the elements (they may be in a device's memory). */
    static void check(String what, Tensor t) {
        if (t.dtype() != DType.F32 || !t.isContiguous()) {
            throw new IllegalArgumentException(what + " must be a contiguous float32 tensor, is " + t.dtype()
                    + " " + Arrays.toString(t.shape()) + (t.isContiguous() ? "" : " (strided)"));
        }
    }

    /** check(), and the tensor must not be read-only. */
    static void checkWritable(String what, Tensor t) {
        if (t.storage().isReadOnly()) throw new IllegalArgumentException(what + " is read-only (memory-mapped)");
        check(what, t);
    }
}
