/*
 * y = x · Wᵀ + b with a PyTorch-layout weight W [out, in] (docs/methods/llava-numerics.md "Formats and tensor layouts"),
 * plus an optional low-rank adapter (LoRA) added to the output. The weight is read transposed in place (BLAS
 * Trans) and may stay F16/BF16; the bias is optional. Each linear layer carries its checkpoint name (llava-hf
 * naming, without ".weight") so adapters can be attached by name pattern.
 */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

/**
 * A linear layer y = x·Wᵀ + b with a PyTorch-layout weight W {@code [out, in]} (F32, F16 or BF16, read transposed in
 * place), an optional bias {@code [out]} and an optional LoRA adapter added to the output; {@code forward} maps
 * {@code [..., in]} to float32 {@code [..., out]}. Its checkpoint name lets adapters be attached by pattern.
 * <p>Not thread-safe: {@code setAdapter} and weight merging write plain fields, so confine changes to one thread with
 * no concurrent {@code forward}. Concurrent {@code forward} calls alone only read (as in LlavaModel inference),
 * provided the adapter, if any, is neither training nor capturing activations.
 */
public final class Linear {
    private final String name;
    private Tensor weight;
    private Tensor bias;
    private LoraAdapter adapter;

    public Linear(String name, Tensor weight, Tensor bias) {
        if (weight.rank() != 2) throw new IllegalArgumentException(name + ": Linear weight must be [out, in], got " + weight);
        if (bias != null && (bias.rank() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException(name + ": Linear bias must be [" + weight.size(0) + "], got " + bias);
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    public String name() { return name; }
    public Tensor weight() { return weight; }
    public Tensor bias() { return bias; }
    public int inFeatures() { return weight.size(1); }
    public int outFeatures() { return weight.size(0); }

    /** The attached adapter, or null. */
    public LoraAdapter adapter() { return adapter; }

    /** Attaches (or with null, detaches) a low-rank adapter. */
    public void setAdapter(LoraAdapter adapter) {
        if (adapter != null && (adapter.inFeatures() != inFeatures() || adapter.outFeatures() != outFeatures())) {
            throw new IllegalArgumentException(name + ": adapter " + adapter.outFeatures() + "x" + adapter.inFeatures()
                    + " does not fit " + outFeatures() + "x" + inFeatures());
        }
        this.adapter = adapter;
    }

    /** Replaces the weight (merging an adapter into it, and restoring it). Same shape required. */
    void replaceWeight(Tensor w) {
        if (!java.util.Arrays.equals(w.shape(), weight.shape())) throw new IllegalArgumentException(name + ": weight shape changes");
        this.weight = w;
    }

    /**
     * Makes the layer's own weight and bias trainable: each becomes a writable float32 copy in {@code be}'s memory (the
     * checkpoint's memory-mapped tensors are never written). Returns them by parameter name ("NAME.weight",
     * "NAME.bias" when there is a bias), the tensors an optimizer updates in place.
     */
    public java.util.Map<String, Tensor> makeTrainable(Backend be) {
        weight = be.place(weight.to(dev.perennial.tensor.DType.F32));
        if (bias != null) bias = be.place(bias.to(dev.perennial.tensor.DType.F32));
        return parameters();
    }

    /** The layer's weight and bias by parameter name ("NAME.weight", "NAME.bias" when there is a bias). */
    public java.util.Map<String, Tensor> parameters() {
        java.util.Map<String, Tensor> p = new java.util.LinkedHashMap<>();
        p.put(name + ".weight", weight);
        if (bias != null) p.put(name + ".bias", bias);
        return p;
    }

    /**
     * forward(be, x) of several layers that read the same input (q, k and v; gate and up): their weight products go to
     * the backend as one SharedInputProducts job (one parallel hand-over instead of one per layer in a decode step),
     * then each layer adds its bias and adapter as forward does. Same values as separate forward calls.
     */
    public static Tensor[] forwardShared(Backend be, Tensor x, Linear... layers) {
        Tensor[] wt = new Tensor[layers.length];
        for (int i = 0; i < layers.length; i++) wt[i] = layers[i].weight.transpose(0, 1);
        Tensor[] y = dev.perennial.tensor.SharedInputProducts.OP.on(be).products(x, wt);
        for (int i = 0; i < layers.length; i++) y[i] = layers[i].finish(be, x, y[i]);
        return y;
    }

    /** x [..., in] -> [..., out] */
    public Tensor forward(Backend be, Tensor x) {
        return finish(be, x, be.matmul(x, weight.transpose(0, 1)));
    }

    /** The bias and the adapter's output added to the weight product y = x·Wᵀ. */
    private Tensor finish(Backend be, Tensor x, Tensor y) {
        if (bias != null) y = be.add(y, bias);
        return adapter == null ? y : be.add(y, adapter.forward(be, x));
    }

}
