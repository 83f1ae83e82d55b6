/*
 * y = x · Wᵀ + b with a PyTorch-layout weight W [out, in] (llava-reference.md "Formats and tensor layouts").
 * The weight is read transposed in place (BLAS Trans) and may stay F16/BF16; the bias is optional.
 */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

public record Linear(Tensor weight, Tensor bias) {
    public Linear {
        if (weight.rank() != 2) throw new IllegalArgumentException("Linear weight must be [out, in], got " + weight);
        if (bias != null && (bias.rank() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException("Linear bias must be [" + weight.size(0) + "], got " + bias);
        }
    }

    public int inFeatures() { return weight.size(1); }
    public int outFeatures() { return weight.size(0); }

    /** x [..., in] -> [..., out] */
    public Tensor forward(Backend be, Tensor x) {
        Tensor y = be.matmul(x, weight.transpose(0, 1));
        return bias == null ? y : be.add(y, bias);
    }
}
