/*
 * Zero-copy conversion between Perennial tensors and ND4J INDArrays, both directions.
 *
 * ND4J is an optional dependency (128 MB of jars): only this package touches its classes, and nothing in the
 * rest of the library loads it unless a user asks for it (GemmChoice "nd4j", or a call into this class).
 * Both arrays share one block of host memory, so writes through either are visible in the other; the wrapping
 * side keeps the owner reachable. Strided views keep their strides and offset.
 */
package dev.perennial.tensor.nd4j;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.indexer.Bfloat16Indexer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.HalfIndexer;
import org.bytedeco.javacpp.indexer.Indexer;
import org.bytedeco.javacpp.indexer.IntIndexer;
import org.bytedeco.javacpp.indexer.LongIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Zero-copy conversion between tensors and ND4J INDArrays in both directions (F32, F64, I64, I32, F16, BF16), keeping
 * shape, strides and offset: both sides share one block of host memory, so writes through either are visible in both.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state); the shared memory
 * follows {@link Tensor}'s rules (concurrent reads; writes need external synchronisation).
 */
public final class Nd4jTensors {
    private Nd4jTensors() {}

    /** An INDArray viewing the same memory as {@code t} (same shape, strides and offset). */
    public static INDArray toINDArray(Tensor t) {
        Storage s = t.storage();
        DataBuffer buffer = buffer(s);
        return Nd4j.create(buffer, toLong(t.shape()), toLong(t.strides()), t.offset(), 'c');
    }

    /** A tensor viewing the same memory as {@code a}; {@code a} stays reachable through the tensor. */
    public static Tensor fromINDArray(INDArray a) {
        DType dtype = dtype(a.dataType());
        DataBuffer data = a.data();
        // For a view, data() is already a sub-buffer starting at the view's offset (its address includes it).
        Storage s = Storage.wrap(dtype, data.length(), data.addressPointer(), a);
        return Tensor.view(s, toInt(a.shape()), toInt(a.stride()), Math.toIntExact(a.offset() - data.offset()));
    }

    /** A DataBuffer over a whole storage (no copy). */
    static DataBuffer buffer(Storage s) {
        Pointer p = s.pointer();
        long n = s.length();
        switch (s.dtype()) {
            case F32: {
                FloatPointer fp = new FloatPointer(p).capacity(n).limit(n);
                return create(fp, DataType.FLOAT, n, FloatIndexer.create(fp));
            }
            case F64: {
                DoublePointer dp = new DoublePointer(p).capacity(n).limit(n);
                return create(dp, DataType.DOUBLE, n, DoubleIndexer.create(dp));
            }
            case I64: {
                LongPointer lp = new LongPointer(p).capacity(n).limit(n);
                return create(lp, DataType.INT64, n, LongIndexer.create(lp));
            }
            case I32: {
                IntPointer ip = new IntPointer(p).capacity(n).limit(n);
                return create(ip, DataType.INT32, n, IntIndexer.create(ip));
            }
            case F16: {
                ShortPointer sp = new ShortPointer(p).capacity(n).limit(n);
                return create(sp, DataType.FLOAT16, n, HalfIndexer.create(sp));
            }
            case BF16: {
                ShortPointer sp = new ShortPointer(p).capacity(n).limit(n);
                return create(sp, DataType.BFLOAT16, n, Bfloat16Indexer.create(sp));
            }
            default:
                throw new IllegalArgumentException("no ND4J view for " + s.dtype());
        }
    }

    private static DataBuffer create(Pointer p, DataType type, long n, Indexer indexer) {
        return Nd4j.createBuffer(p, type, n, indexer);
    }

    static DType dtype(DataType t) {
        switch (t) {
            case FLOAT: return DType.F32;
            case DOUBLE: return DType.F64;
            case LONG: return DType.I64;
            case INT: return DType.I32;
            case HALF: return DType.F16;
            case BFLOAT16: return DType.BF16;
            default: throw new IllegalArgumentException("no tensor dtype for ND4J " + t);
        }
    }

    private static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    private static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.toIntExact(a[i]);
        return r;
    }

}
