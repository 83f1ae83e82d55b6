/* Views share storage and never copy; copies convert; bounds and shape errors are reported. */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TensorTest {
    private static Tensor iota(int... shape) {
        float[] v = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.of(v, shape);
    }

    @Test
    void transposeIsAViewWithSwappedStrides() {
        Tensor t = iota(2, 3);
        Tensor tt = t.transpose(0, 1);
        assertSame(t.storage(), tt.storage());
        assertArrayEquals(new int[]{3, 2}, tt.shape());
        assertArrayEquals(new int[]{1, 3}, tt.strides());
        assertFalse(tt.isContiguous());
        assertArrayEquals(new float[]{0, 3, 1, 4, 2, 5}, tt.toFloatArray());
        t.setFloat(42f, 1, 2);
        assertEquals(42f, tt.getFloat(2, 1));
    }

    @Test
    void reshapeOfContiguousIsAView_ofStridedIsACopy() {
        Tensor t = iota(2, 6);
        Tensor r = t.reshape(3, -1);
        assertSame(t.storage(), r.storage());
        assertArrayEquals(new int[]{3, 4}, r.shape());
        Tensor c = t.transpose(0, 1).reshape(12);
        assertNotSame(t.storage(), c.storage());
        assertArrayEquals(new float[]{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}, c.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> t.reshape(5, -1));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
    }

    @Test
    void narrowSelectExpandSqueeze() {
        Tensor t = iota(3, 4);
        Tensor n = t.narrow(1, 1, 2);
        assertSame(t.storage(), n.storage());
        assertArrayEquals(new float[]{1, 2, 5, 6, 9, 10}, n.toFloatArray());
        assertArrayEquals(new float[]{8, 9, 10, 11}, t.select(0, -1).toFloatArray());
        Tensor e = iota(1, 3).expand(2, 3);
        assertArrayEquals(new int[]{0, 1}, e.strides());
        assertArrayEquals(new float[]{0, 1, 2, 0, 1, 2}, e.toFloatArray());
        Tensor lead = iota(3).expand(2, -1);
        assertArrayEquals(new int[]{2, 3}, lead.shape());
        assertThrows(IllegalArgumentException.class, () -> iota(2, 3).expand(4, 3));
        Tensor u = t.unsqueeze(0).unsqueeze(-1);
        assertArrayEquals(new int[]{1, 3, 4, 1}, u.shape());
        assertArrayEquals(new int[]{3, 4}, u.squeeze(0).squeeze(-1).shape());
        assertThrows(IllegalArgumentException.class, () -> t.squeeze(0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.narrow(1, 3, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.select(0, 3));
    }

    @Test
    void permuteAndContiguousCopy() {
        Tensor t = iota(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertArrayEquals(new int[]{4, 2, 3}, p.shape());
        assertEquals(t.getFloat(1, 2, 3), p.getFloat(3, 1, 2));
        Tensor c = p.contiguous();
        assertTrue(c.isContiguous());
        assertEquals(t.getFloat(1, 2, 3), c.getFloat(3, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 0, 1));
    }

    @Test
    void dtypeConversionsRoundToNearestEven() {
        Tensor t = Tensor.of(new float[]{1f, 1.00048828125f /* halfway between two f16 values */, 65504f, 1e-8f}, 4);
        Tensor h = t.to(DType.F16);
        assertEquals(DType.F16, h.dtype());
        assertArrayEquals(new float[]{1f, 1f, 65504f, 0f}, h.toFloatArray());
        Tensor b = t.to(DType.BF16);
        assertEquals(1f, b.getFloat(0));
        Tensor ids = Tensor.ofLongs(new long[]{1L << 40, -3}, 2);
        assertArrayEquals(new long[]{1L << 40, -3}, ids.to(DType.I64).toLongArray());
        assertArrayEquals(new long[]{0, -3}, ids.to(DType.I32).toLongArray());   // wraps like a C cast
    }

    @Test
    void viewsOutsideTheStorageAreRejected() {
        Storage s = Storage.allocate(DType.F32, 6);
        assertThrows(IllegalArgumentException.class, () -> Tensor.view(s, new int[]{2, 4}, new int[]{4, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.view(s, new int[]{2}, new int[]{1}, 5));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(s, 7));
        Tensor ok = Tensor.view(s, new int[]{3, 2}, new int[]{1, 3}, 0);
        assertArrayEquals(new int[]{3, 2}, ok.shape());
    }

    @Test
    void emptyTensorsAreContiguousAndCopy() {
        Tensor e = Tensor.zeros(0, 5);
        assertTrue(e.isContiguous());
        assertEquals(0, e.toFloatArray().length);
        assertArrayEquals(new int[]{5, 0}, e.transpose(0, 1).contiguous().shape());
    }

    @Test
    void closedStorageFailsLoudly() {
        Tensor t = iota(4);
        t.close();
        assertThrows(IllegalStateException.class, t::toFloatArray);
    }

    @Test
    void readOnlyStorageRejectsCopyInto() {
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(8).asReadOnlyBuffer();
        Tensor ro = Tensor.of(Storage.wrap(DType.F32, 2, direct), 2);
        assertThrows(IllegalStateException.class, () -> ro.copyFrom(iota(2)));
    }

    /**
     * Copies between float32 and BF16/F16 views with unit last strides (a half KV cache's writes and a prefill's
     * reads) take a bulk path: every element must equal Half's rounding of it, as the per-element path gives, for
     * rounding ties, subnormals, infinities and NaN, through narrowed and transposed (outer-strided) views.
     */
    @Test
    void halfConversionsThroughUnitStrideRowsRoundLikeHalf() {
        float[] v = new float[6 * 4 * 40];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 20));
        v[0] = Float.intBitsToFloat(0x3f808000);   // a BF16 tie: rounds to even
        v[1] = Float.intBitsToFloat(0x3f818000);   // a tie that rounds up
        v[2] = 1e-40f;                             // subnormal
        v[3] = Float.POSITIVE_INFINITY;
        v[4] = Float.NaN;
        v[5] = 70000f;                             // beyond F16's range
        Tensor src = Tensor.of(v, 6, 4, 40).transpose(0, 1);                 // [4, 6, 40], rows of 40 with unit stride
        for (DType half : new DType[]{DType.BF16, DType.F16}) {
            Tensor dst = Tensor.zeros(half, 4, 8, 40).narrow(1, 1, 6);      // a cache-like narrowed view
            dst.copyFrom(src);
            Tensor back = Tensor.zeros(DType.F32, 4, 6, 40);
            back.copyFrom(dst);
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 6; b++) {
                    for (int c = 0; c < 40; c++) {
                        float x = v[(b * 4 + a) * 40 + c];
                        short bits = half == DType.BF16 ? Half.floatToBf16(x) : Half.floatToF16(x);
                        float want = half == DType.BF16 ? Half.bf16ToFloat(bits) : Half.f16ToFloat(bits);
                        assertEquals(bits, dst.storage().shorts().get(dst.index(a, b, c)), half + " bits at " + a + "," + b + "," + c);
                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(back.getFloat(a, b, c)), half + " widened at " + a + "," + b + "," + c);
                    }
                }
            }
        }
    }
}
