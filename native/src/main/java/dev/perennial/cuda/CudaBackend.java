/*
 * Backend on a CUDA device: GEMM through the device's DeviceGemm (cuBLAS, or OpenBLAS on the emulated device),
 * the other hot ops through the hand-written kernels of cuda/ (DeviceKernels), and the few ops without a kernel
 * on the host (HostFallback, logged once per op). Tensors are ordinary Tensors whose storage the device can
 * address (host memory when emulated, CUDA managed memory on a GPU), so model code runs unchanged
 * (design.md: "One Backend interface"; docs/architecture.md "CUDA backend").
 *
 * Semantics are exactly Backend's; the native tests run the op table and the whole tiny-LLaVA golden forward and
 * backward through this class on the emulated device.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.List;
import java.util.Set;

public final class CudaBackend implements Backend {
    private final CudaDevice device;
    private final DeviceKernels k;
    private final HostFallback host;

    public CudaBackend(CudaDevice device) {
        this.device = device;
        this.k = device.kernels();
        this.host = new HostFallback(k.memory());
    }

    /** A backend on the emulated device. */
    public static CudaBackend emulated() { return new CudaBackend(CudaDevice.emulated()); }

    @Override
    public String name() { return "cuda(" + device.name() + ")"; }

    public CudaDevice device() { return device; }

    /** The ops that have been computed on the host so far because no kernel exists for them. */
    public Set<String> hostFallbacks() { return host.ops(); }

    // ------------------------------------------------------------------------------------------- GEMM

    @Override
    public Tensor matmul(Tensor a, Tensor b) { return device.gemm().matmul(a, b); }

    @Override
    public Tensor contiguous(Tensor x) {
        return x.isContiguous() ? x : host.run("contiguous", be -> be.contiguous(x));
    }

    // ------------------------------------------------------------------------------------------- element-wise

    @Override
    public Tensor add(Tensor a, Tensor b) { return host.run("add", be -> be.add(a, b)); }

    @Override
    public Tensor sub(Tensor a, Tensor b) { return host.run("sub", be -> be.sub(a, b)); }

    @Override
    public Tensor mul(Tensor a, Tensor b) { return host.run("mul", be -> be.mul(a, b)); }

    @Override
    public Tensor div(Tensor a, Tensor b) { return host.run("div", be -> be.div(a, b)); }

    @Override
    public Tensor scale(Tensor a, float s) { return host.run("scale", be -> be.scale(a, s)); }

    @Override
    public Tensor exp(Tensor a) { return host.run("exp", be -> be.exp(a)); }

    @Override
    public Tensor log(Tensor a) { return host.run("log", be -> be.log(a)); }

    @Override
    public Tensor sqrt(Tensor a) { return host.run("sqrt", be -> be.sqrt(a)); }

    @Override
    public Tensor tanh(Tensor a) { return host.run("tanh", be -> be.tanh(a)); }

    @Override
    public Tensor erf(Tensor a) { return host.run("erf", be -> be.erf(a)); }

    @Override
    public Tensor gelu(Tensor a) { return host.run("gelu", be -> be.gelu(a)); }

    @Override
    public Tensor geluTanh(Tensor a) { return host.run("geluTanh", be -> be.geluTanh(a)); }

    @Override
    public Tensor quickGelu(Tensor a) { return host.run("quickGelu", be -> be.quickGelu(a)); }

    @Override
    public Tensor silu(Tensor a) { return host.run("silu", be -> be.silu(a)); }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) { return host.run("swiglu", be -> be.swiglu(gate, up)); }

    // ------------------------------------------------------------------------------------------- row-wise

    @Override
    public Tensor softmax(Tensor x, float scale, Tensor mask) { return k.softmax(x, scale, mask); }

    @Override
    public Tensor logSoftmax(Tensor x, Tensor mask) { return k.logSoftmax(x, mask); }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return host.run("layerNorm", be -> be.layerNorm(x, weight, bias, eps));
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return host.run("rmsNorm", be -> be.rmsNorm(x, weight, eps));
    }

    @Override
    public Tensor rope(Tensor x, Tensor positions, float theta) {
        return host.run("rope", be -> be.rope(x, positions, theta));
    }

    // ------------------------------------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, Tensor ids) { return host.run("embedding", be -> be.embedding(table, ids)); }

    @Override
    public Tensor concat(List<Tensor> parts, int dim) { return host.run("concat", be -> be.concat(parts, dim)); }

    @Override
    public List<Tensor> split(Tensor x, int[] sizes, int dim) { return host.run("split", be -> be.split(x, sizes, dim)); }

    @Override
    public Tensor stack(List<Tensor> parts, int dim) { return host.run("stack", be -> be.stack(parts, dim)); }

    // ------------------------------------------------------------------------------------------- reductions

    // Over the last dim the row_reduce kernels; over another dim the host (a strided reduction has no kernel).
    @Override
    public Tensor sum(Tensor x, int dim, boolean keepDim) {
        return lastDim(x, dim) ? keep(k.rowSum(x), x, keepDim) : host.run("sum", be -> be.sum(x, dim, keepDim));
    }

    @Override
    public Tensor mean(Tensor x, int dim, boolean keepDim) {
        return lastDim(x, dim) ? keep(k.rowMean(x), x, keepDim) : host.run("mean", be -> be.mean(x, dim, keepDim));
    }

    @Override
    public Tensor max(Tensor x, int dim, boolean keepDim) {
        return lastDim(x, dim) ? keep(k.rowMax(x), x, keepDim) : host.run("max", be -> be.max(x, dim, keepDim));
    }

    private static boolean lastDim(Tensor x, int dim) {
        return x.rank() > 0 && (dim == -1 || dim == x.rank() - 1);
    }

    // The [...] result of a last-dim reduction as [..., 1] when keepDim.
    private static Tensor keep(Tensor reduced, Tensor x, boolean keepDim) {
        if (!keepDim) return reduced;
        int[] shape = x.shape();
        shape[shape.length - 1] = 1;
        return reduced.reshape(shape);
    }

    @Override
    public Tensor argmax(Tensor x) { return k.argmax(x); }

    @Override
    public TopK topk(Tensor x, int kk) { return host.run("topk", be -> be.topk(x, kk)); }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        return k.crossEntropy(logits, targets, ignoreIndex).loss();
    }
}
