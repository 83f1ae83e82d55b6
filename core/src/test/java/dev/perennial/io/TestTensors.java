/*
 * Tensors for round-trip tests: random bit patterns in every dtype, the kinds of views a writer must
 * linearise, and an independent way to read a tensor's elements back as bytes (an index odometer and
 * Tensor.index, not the StridedLoop path the writers use).
 */
package dev.perennial.io;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

final class TestTensors {
    private TestTensors() {}

    /** A contiguous tensor whose bytes are random (any bit pattern, NaN payloads included). */
    static Tensor random(DType dtype, long seed, int... shape) {
        Tensor t = Tensor.zeros(dtype, shape);
        ByteBuffer b = t.storage().bytes();
        byte[] noise = new byte[b.remaining()];
        new Random(seed).nextBytes(noise);
        b.put(noise);
        return t;
    }

    /** Contiguous tensors and views of {@code dtype}, keyed by what they exercise. */
    static Map<String, Tensor> views(DType dtype) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("contiguous", random(dtype, 1, 3, 4));
        m.put("transposed", random(dtype, 2, 4, 3).transpose(0, 1));         // [3,4] strides (1,3)
        m.put("narrowed", random(dtype, 3, 3, 6).narrow(1, 1, 4));           // [3,4] strides (6,1)
        m.put("expanded", random(dtype, 4, 1, 4).expand(3, 4));              // [3,4] strides (0,1)
        m.put("selected", random(dtype, 5, 2, 3, 4).select(2, 1));           // [2,3] strides (12,4)
        m.put("offset", random(dtype, 6, 4, 4).narrow(0, 1, 2));             // contiguous, offset 4
        m.put("scalar", random(dtype, 7));
        m.put("empty", random(dtype, 8, 0, 5));
        return m;
    }

    /** The elements of {@code t} in row-major order as raw little-endian bytes. */
    static byte[] logicalBytes(Tensor t) {
        int size = t.dtype().byteSize();
        ByteBuffer src = t.storage().bytes();
        byte[] out = new byte[(int) t.numel() * size];
        int[] shape = t.shape();
        int[] idx = new int[shape.length];
        for (int e = 0; e < t.numel(); e++) {
            int at = t.index(idx) * size;
            for (int b = 0; b < size; b++) out[e * size + b] = src.get(at + b);
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return out;
    }
}
