/*
 * A reader for the protocol-buffers wire format, just enough for SentencePiece's ModelProto (see
 * SentencePieceModel): varints, 32-bit floats, length-delimited strings/bytes/sub-messages, and skipping
 * fields it does not need. Written by hand so that core needs no protobuf runtime or generated classes.
 *
 * Every defect (a varint running past 10 bytes or the end, a length beyond the enclosing message or negative, an unknown
 * or group wire type, a field with an unexpected wire type, a string that is not UTF-8) is a
 * TokenizerFormatException naming the file and the byte offset.
 */
package dev.perennial.text;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

final class ProtobufReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final Path file;
    private final byte[] data;
    private int pos;
    private final int limit;

    ProtobufReader(Path file, byte[] data) {
        this(file, data, 0, data.length);
    }

    private ProtobufReader(Path file, byte[] data, int pos, int limit) {
        this.file = file;
        this.data = data;
        this.pos = pos;
        this.limit = limit;
    }

    boolean hasMore() { return pos < limit; }

    /** The next field's tag: field number << 3 | wire type. */
    int tag() throws TokenizerFormatException {
        int at = pos;
        long tag = varint();
        if (tag >>> 3 == 0 || tag > 0xffffffffL) throw fail(at, "invalid field number " + (tag >>> 3) + " (tag " + tag + ")");
        return (int) tag;
    }

    static int field(int tag) { return tag >>> 3; }

    /** An int32/enum/bool field's value (negative int32 values are 10-byte varints). */
    int int32(int tag) throws TokenizerFormatException {
        expect(tag, VARINT);
        return (int) varint();
    }

    boolean bool(int tag) throws TokenizerFormatException {
        return int32(tag) != 0;
    }

    float float32(int tag) throws TokenizerFormatException {
        expect(tag, FIXED32);
        need(4);
        float f = ByteBuffer.wrap(data, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        pos += 4;
        return f;
    }

    String string(int tag) throws TokenizerFormatException {
        int at = pos;
        int length = length(tag);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(data, pos, length)).toString();
            pos += length;
            return s;
        } catch (CharacterCodingException e) {
            throw fail(at, "field " + field(tag) + " is not valid UTF-8");
        }
    }

    /** The length of a bytes field, which is skipped. */
    int bytesLength(int tag) throws TokenizerFormatException {
        int length = length(tag);
        pos += length;
        return length;
    }

    /** A reader over an embedded message; this reader moves past it. */
    ProtobufReader message(int tag) throws TokenizerFormatException {
        int length = length(tag);
        ProtobufReader sub = new ProtobufReader(file, data, pos, pos + length);
        pos += length;
        return sub;
    }

    /** Moves past a field this parser does not use. */
    void skip(int tag) throws TokenizerFormatException {
        switch (tag & 7) {
            case VARINT -> varint();
            case FIXED64 -> { need(8); pos += 8; }
            case LENGTH_DELIMITED -> pos += length(tag);
            case FIXED32 -> { need(4); pos += 4; }
            default -> throw fail(pos, "field " + field(tag) + " has unsupported wire type " + (tag & 7));
        }
    }

    private int length(int tag) throws TokenizerFormatException {
        expect(tag, LENGTH_DELIMITED);
        int at = pos;
        long length = varint();
        // a 10-byte varint can be negative as a long: it must not move the reader backwards (that looped for ever)
        if (length < 0 || length > limit - pos) {
            throw fail(at, "field " + field(tag) + " declares " + Long.toUnsignedString(length) + " bytes, only " + (limit - pos) + " remain");
        }
        return (int) length;
    }

    private long varint() throws TokenizerFormatException {
        int at = pos;
        long value = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= limit) throw fail(at, "truncated varint");
            byte b = data[pos++];
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) return value;
        }
        throw fail(at, "varint longer than 10 bytes");
    }

    private void expect(int tag, int wireType) throws TokenizerFormatException {
        if ((tag & 7) != wireType) throw fail(pos, "field " + field(tag) + " has wire type " + (tag & 7) + ", expected " + wireType);
    }

    private void need(int bytes) throws TokenizerFormatException {
        if (limit - pos < bytes) throw fail(pos, "truncated: " + bytes + " bytes needed, " + (limit - pos) + " remain");
    }

    private TokenizerFormatException fail(int at, String what) {
        return new TokenizerFormatException(file, "malformed protobuf at byte " + at + ": " + what);
    }
}
