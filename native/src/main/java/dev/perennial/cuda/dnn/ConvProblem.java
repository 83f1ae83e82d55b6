/*
 * The descriptor-level parameters of one 2-D convolution on cuDNN's legacy API (cudnnSetTensor4dDescriptorEx for x
 * and y, cudnnSetFilter4dDescriptor for w, cudnnSetConvolution2dDescriptor): NCHW sizes and element strides of x,
 * the filter [k, c, r, s] (packed NCHW), padding, stride and dilation, cross-correlation (cuDNN's
 * CUDNN_CROSS_CORRELATION is PyTorch's Conv2d), the data type of x, w and y and the compute type (F32). The output
 * size follows cudnnGetConvolution2dForwardOutputDim's formula; y is packed NCHW [n, k, p, q].
 * patchEmbedding(...) is the CLIP / ViT patch embedding: kernel = stride = patch, no padding.
 */
package dev.perennial.cuda.dnn;

import java.util.Arrays;

/** One convolution as cuDNN's descriptors state it (x strides in elements; w and y packed NCHW). */
public record ConvProblem(int n, int c, int h, int w, long[] xStrides, int k, int r, int s, int padH, int padW,
                          int strideH, int strideW, int dilationH, int dilationW, DnnType type) {

    public ConvProblem {
        if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1 || padH < 0 || padW < 0 || strideH < 1
                || strideW < 1 || dilationH < 1 || dilationW < 1 || xStrides.length != 4) {
            throw new IllegalArgumentException("convolution x [" + n + ", " + c + ", " + h + ", " + w + "] strides "
                    + Arrays.toString(xStrides) + ", w [" + k + ", " + c + ", " + r + ", " + s + "], pad " + padH + "/" + padW
                    + ", stride " + strideH + "/" + strideW + ", dilation " + dilationH + "/" + dilationW);
        }
        if (type != DnnType.F32 && type != DnnType.BF16) {
            throw new IllegalArgumentException("convolutions here are F32 or BF16, got " + type);
        }
        if (outH(h, r, padH, strideH, dilationH) < 1 || outH(w, s, padW, strideW, dilationW) < 1) {
            throw new IllegalArgumentException("the filter " + r + "x" + s + " does not fit the image " + h + "x" + w);
        }
        xStrides = xStrides.clone();
    }

    /**
     * The ViT patch embedding of images x [n, c, size, size] with strides xStrides by a filter [d, c, patch, patch]:
     * stride patch, no padding, no dilation. The image side must be a multiple of the patch.
     */
    public static ConvProblem patchEmbedding(int n, int c, int size, long[] xStrides, int d, int patch, DnnType type) {
        if (patch < 1 || size % patch != 0) {
            throw new IllegalArgumentException("image side " + size + " is not a multiple of the patch " + patch);
        }
        return new ConvProblem(n, c, size, size, xStrides, d, patch, patch, 0, 0, patch, patch, 1, 1, type);
    }

    /** Output height (cudnnGetConvolution2dForwardOutputDim): 1 + (h + 2 pad - ((r - 1) dilation + 1)) / stride. */
    public int p() { return outH(h, r, padH, strideH, dilationH); }

    /** Output width. */
    public int q() { return outH(w, s, padW, strideW, dilationW); }

    /** y's dims [n, k, p, q]. */
    public int[] yShape() { return new int[]{n, k, p(), q()}; }

    /** The filter's packed NCHW strides. */
    public long[] wStrides() { return new long[]{(long) c * r * s, (long) r * s, s, 1}; }

    /** y's packed NCHW strides. */
    public long[] yStrides() { return new long[]{(long) k * p() * q(), (long) p() * q(), q(), 1}; }

    private static int outH(int h, int r, int pad, int stride, int dilation) {
        return 1 + (h + 2 * pad - ((r - 1) * dilation + 1)) / stride;
    }

    @Override
    public long[] xStrides() { return xStrides.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvProblem p && n == p.n && c == p.c && h == p.h && w == p.w && k == p.k && r == p.r
                && s == p.s && padH == p.padH && padW == p.padW && strideH == p.strideH && strideW == p.strideW
                && dilationH == p.dilationH && dilationW == p.dilationW && type == p.type
                && Arrays.equals(xStrides, p.xStrides);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(new int[]{n, c, h, w, k, r, s, strideH}) * 31 + type.hashCode(); }

    @Override
    public String toString() {
        return "conv x [" + n + ", " + c + ", " + h + ", " + w + "] strides " + Arrays.toString(xStrides) + " w [" + k
                + ", " + c + ", " + r + ", " + s + "] stride " + strideH + "x" + strideW + " pad " + padH + "x" + padW + " "
                + type;
    }
}
