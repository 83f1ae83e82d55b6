/*
 * The header dictionary of a .npy file and the element types it can name.
 *
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *
 * Like numpy's own reader (numpy/lib/format.py, _read_array_header) the dictionary must have exactly the keys
 * descr, fortran_order and shape, and shape must be a tuple of non-negative integers. The descr strings read
 * and written are the little-endian (or byte-sized, '|') forms numpy produces on every current platform:
 *   <f2 F16, <f4 F32, <f8 F64, <i2 I16, <i4 I32, <i8 I64, |i1 I8, |u1 U8, |b1 BOOL.
 * numpy has no bfloat16, so BF16 tensors cannot be written. Object arrays ('|O') contain pickles and are
 * rejected with their own defect; big-endian and other descrs are UNKNOWN_DTYPE.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.DType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * @param dtype        element type (from descr)
 * @param fortranOrder true when the data is stored column-major
 * @param shape        the array shape as stored in the header
 */
record NpyHeader(DType dtype, boolean fortranOrder, int[] shape) {

    private static final Map<DType, String> DESCR = new EnumMap<>(Map.of(
            DType.F16, "<f2", DType.F32, "<f4", DType.F64, "<f8",
            DType.I16, "<i2", DType.I32, "<i4", DType.I64, "<i8",
            DType.I8, "|i1", DType.U8, "|u1", DType.BOOL, "|b1"));
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    /** Parses and checks the header dictionary {@code text} of {@code file}. */
    static NpyHeader parse(String text, Path file) throws TensorFormatException {
        if (!(PythonLiteralParser.parse(text, file) instanceof Map<?, ?> dict)) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "header is not a dictionary: " + text.strip());
        }
        if (!dict.keySet().equals(KEYS)) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "header keys are " + dict.keySet()
                    + "; expected exactly descr, fortran_order and shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new TensorFormatException(file, Defect.UNKNOWN_DTYPE, "descr " + dict.get("descr")
                    + " is a structured dtype, which is not supported");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new TensorFormatException(file, Defect.BAD_HEADER, "fortran_order is "
                    + dict.get("fortran_order") + ", not True or False");
        }
        DType dtype = dtypeOf(descr, file);
        int[] shape = shapeOf(dict.get("shape"), file);
        try {
            long bytes = dtype.byteSize();
            for (int s : shape) bytes = Math.multiplyExact(bytes, s);
        } catch (ArithmeticException overflow) {
            throw new TensorFormatException(file, Defect.BAD_SHAPE, "shape " + Arrays.toString(shape)
                    + " has more than 2^63 bytes");
        }
        return new NpyHeader(dtype, fortran, shape);
    }

    private static DType dtypeOf(String descr, Path file) throws TensorFormatException {
        for (Map.Entry<DType, String> e : DESCR.entrySet()) {
            if (e.getValue().equals(descr)) return e.getKey();
        }
        if (descr.matches("[<>|=]?O")) {
            throw new TensorFormatException(file, Defect.PICKLED_OBJECTS, "descr '" + descr
                    + "' is an object array of pickled Python objects, which is never read");
        }
        String why = descr.startsWith(">") ? "big-endian data is not supported" : "supported: " + DESCR.values();
        throw new TensorFormatException(file, Defect.UNKNOWN_DTYPE, "descr '" + descr + "': " + why);
    }

    private static int[] shapeOf(Object value, Path file) throws TensorFormatException {
        if (!(value instanceof PythonLiteralParser.Tuple tuple)) {
            throw new TensorFormatException(file, Defect.BAD_SHAPE, "shape " + value + " is not a tuple");
        }
        int[] shape = new int[tuple.items().size()];
        for (int d = 0; d < shape.length; d++) {
            if (!(tuple.items().get(d) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
                throw new TensorFormatException(file, Defect.BAD_SHAPE, "shape " + tuple.items()
                        + " must hold integers in 0.." + Integer.MAX_VALUE);
            }
            shape[d] = v.intValue();
        }
        return shape;
    }

    /** Bytes of array data that follow the header. */
    long byteCount() {
        long n = dtype.byteSize();
        for (int s : shape) n *= s;
        return n;
    }

    /** The descr string numpy uses for {@code dtype}; IllegalArgumentException for BF16. */
    static String descr(DType dtype) {
        String d = DESCR.get(dtype);
        if (d == null) throw new IllegalArgumentException(dtype + " has no .npy equivalent");
        return d;
    }

    /** The dictionary as numpy writes it (without padding), e.g. {'descr': '<f4', ..., 'shape': (47,), }. */
    String format() {
        StringJoiner dims = new StringJoiner(", ", "(", shape.length == 1 ? ",)" : ")");
        for (int s : shape) dims.add(Integer.toString(s));
        return "{'descr': '" + descr(dtype) + "', 'fortran_order': " + (fortranOrder ? "True" : "False")
                + ", 'shape': " + dims + ", }";
    }
}
