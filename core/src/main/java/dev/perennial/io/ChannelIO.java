/*
 * Complete reads and writes on NIO channels. A single FileChannel read or write may transfer fewer bytes
 * than asked; every reader and writer in this package goes through these loops, and a read that meets the
 * end of the file becomes a TRUNCATED TensorFormatException instead of a silently short buffer.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

final class ChannelIO {
    private ChannelIO() {}

    /** Fills {@code dst} from {@code position} on; TRUNCATED if the file ends first. */
    static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new TensorFormatException(file, Defect.TRUNCATED, "file ends at byte " + pos + ", "
                        + dst.remaining() + " more bytes were expected");
            }
            pos += n;
        }
    }

    /** Writes all remaining bytes of {@code src}. */
    static void writeFully(WritableByteChannel ch, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) ch.write(src);
    }
}
