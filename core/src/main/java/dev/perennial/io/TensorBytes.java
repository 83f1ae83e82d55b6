/*
 * Writes a tensor's elements to a channel the way both safetensors and .npy store them: row-major
 * (logical order), little-endian, bit-exact in the tensor's own dtype.
 *
 * Contiguous tensors (the usual case) go out as one slice of their storage. Views (transposed, narrowed,
 * expanded with stride 0) are gathered row by row through StridedLoop.RowCursor into a staging buffer, copying
 * raw element bytes, so no conversion touches the bits (NaN payloads and signed zeros survive) and no
 * contiguous copy of the tensor is allocated.
 */
package dev.perennial.io;

import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.StridedLoop;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

final class TensorBytes {
    private static final int STAGING_BYTES = 1 << 20;

    private TensorBytes() {}

    /** Number of bytes write() produces for {@code t}. */
    static long size(Tensor t) {
        return t.numel() * t.dtype().byteSize();
    }

    /** Writes every element of {@code t} in row-major order. */
    static void write(WritableByteChannel ch, Tensor t) throws IOException {
        if (t.numel() == 0) return;
        int elementBytes = t.dtype().byteSize();
        ByteBuffer src = t.storage().bytes();
        if (t.isContiguous()) {
            src.limit((t.offset() + (int) t.numel()) * elementBytes).position(t.offset() * elementBytes);
            ChannelIO.writeFully(ch, src);
            return;
        }
        int[] shape = t.shape();
        int last = shape.length - 1;
        int rowLength = shape[last];
        int stepBytes = t.stride(last) * elementBytes;
        long rows = Shapes.numel(shape) / rowLength;
        ByteBuffer staging = ByteBuffer.allocate(Math.max(STAGING_BYTES, elementBytes));
        StridedLoop.RowCursor cursor = new StridedLoop.RowCursor(shape, t.strides(), t.offset(), 0);
        for (long r = 0; r < rows; r++) {
            int at = cursor.position() * elementBytes;
            for (int j = 0; j < rowLength; j++, at += stepBytes) {
                if (staging.remaining() < elementBytes) flush(ch, staging);
                for (int b = 0; b < elementBytes; b++) staging.put(src.get(at + b));
            }
            cursor.next();
        }
        flush(ch, staging);
    }

    private static void flush(WritableByteChannel ch, ByteBuffer staging) throws IOException {
        staging.flip();
        ChannelIO.writeFully(ch, staging);
        staging.clear();
    }
}
