/*
 * ADAPT-∞'s sample vectors (docs/methods/adapt-inf.md §2): what pseudo-task clustering and permanent pruning compare.
 *
 *  LORA_GRAD (default, §2.3–2.5): the per-sample gradient g(z) of the mean response-token loss with respect to
 *    the LoRA tensors of the chosen layers (LoraLayers: order, length), projected with the Rademacher matrix
 *    R ∈ {±1}^{d×k} (RandomProjection / RademacherSigns, seed 0 and k = 8192 by default) and L2-normalised:
 *        v(z) = g(z)·R / ‖g(z)·R‖₂.
 *    Config.projection = SPARSE replaces R by a block-sparse Johnson–Lindenstrauss matrix (SparseProjection), ≥ 20×
 *    faster on 10M-coordinate gradients; the default stays the paper's.
 *    The gradient is never concatenated: every adapter tensor [B, …] is projected into the same [B, k] output
 *    with its row offset in the flattened gradient (RandomProjection.accumulate), so a 10M-coordinate gradient
 *    needs no copy beyond the per-sample gradient tensors themselves, and R is never materialised. GraNd
 *    (§4, ‖g(z)‖₂ of the UN-projected gradient) is accumulated on the way, in double (the code's fp16 norm can
 *    overflow, §9.3 item 12).
 *  HIDDEN_MEAN (§2.6, ablation): h(z) = the mean over all merged positions (visual tokens included) of the
 *    hidden state hidden_states[ℓ] in Hugging Face's numbering (0 = input embeddings, ℓ = output of decoder layer
 *    ℓ − 1, L = the final normed state), the official `reps` with the same layer number as the gradients
 *    (default L − 1), L2-normalised and NOT projected: its length is the hidden size.
 *
 * Which model computes them is the caller's choice (§2.1: the current model; or a smaller proxy model, as the
 * paper's TinyLLaVA efficiency analysis suggests): everything here works on whatever model it is handed.
 * A zero vector (e.g. a zero gradient) stays zero after normalisation.
 */
package dev.perennial.select;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.PerSampleGradients;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ADAPT-∞'s sample vectors: {@code project} turns per-sample LoRA gradients into L2-normalised vectors {@code [B][k]}
 * through a {@code GradientProjection}, with the un-projected gradient norms {@code [B]} (GraNd), and
 * {@code hiddenMean} gives a normalised mean hidden state {@code [D]}. {@code Config} names the source, layers,
 * dimension k (8192 by default) and seed.
 * <p>Thread-safe if its projection is (the DENSE and SPARSE ones are): its only field is final and each call allocates
 * its own output. {@code Config} is immutable; {@code Projected} does not copy its arrays.
 */
public final class SampleVectors {
    /** The paper's projection dimension. */
    public static final int DEFAULT_DIM = 8192;

    public enum Source { LORA_GRAD, HIDDEN_MEAN }

    /**
     * @param source what the vector is made of
     * @param layers LORA_GRAD: decoder layers whose adapters are differentiated; HIDDEN_MEAN: exactly one hidden
     *               state index in [0, L]; empty: the last decoder layer, L − 1, for both
     * @param dim    k, the projection dimension (LORA_GRAD only)
     * @param seed   the projection matrix's seed
     * @param projection the matrix (LORA_GRAD only): DENSE, the paper's Rademacher matrix, or SPARSE, the fast
     *               Johnson–Lindenstrauss alternative (GradientProjection)
     */
    public record Config(Source source, List<Integer> layers, int dim, long seed, GradientProjection.Kind projection) {
        /** The paper's dense Rademacher projection. */
        public Config(Source source, List<Integer> layers, int dim, long seed) {
            this(source, layers, dim, seed, GradientProjection.Kind.DENSE);
        }

        public Config {
            if (projection == null) throw new IllegalArgumentException("projection kind must be set");
            if (projection == GradientProjection.Kind.SPARSE && source == Source.LORA_GRAD && dim % SparseProjection.S != 0) {
                throw new IllegalArgumentException("the sparse projection needs a dimension divisible by " + SparseProjection.S + ", got " + dim);
            }
            if (source == null) throw new IllegalArgumentException("vector source must be set");
            layers = List.copyOf(layers);
            if (source == Source.LORA_GRAD && dim < 1) throw new IllegalArgumentException("projection dimension must be positive, got " + dim);
            if (source == Source.HIDDEN_MEAN && layers.size() > 1) {
                throw new IllegalArgumentException("HIDDEN_MEAN uses one hidden layer, got " + layers);
            }
        }

        /** Record form; the dense default is not named, so fingerprints of runs from before the option still match. */
        @Override
        public String toString() {
            return "Config[source=" + source + ", layers=" + layers + ", dim=" + dim + ", seed=" + seed
                    + (projection == GradientProjection.Kind.DENSE ? "" : ", projection=" + projection) + "]";
        }

        /** The paper's defaults: LoRA gradients of the last layer, k = 8192, seed 0. */
        public static Config paper() {
            return new Config(Source.LORA_GRAD, List.of(), DEFAULT_DIM, 0);
        }
    }

    /** Projected, normalised vectors [B][k] and the un-projected gradient norms [B]. */
    public record Projected(float[][] vectors, double[] gradientNorms) {}

    private final GradientProjection projection;

    public SampleVectors(GradientProjection projection) {
        this.projection = projection;
    }

    /**
     * v(z) and GraNd for every sample of a batch from its per-sample adapter gradients (dA [B, r, in], dB [B, out, r]
     * per adapter, in gradient order). k = 0 computes only the norms.
     */
    public Projected project(Map<String, PerSampleGradients.AdapterGradients> gradients, int k, long seed) {
        int b = -1;
        for (var g : gradients.values()) b = g.a().size(0);
        if (b < 0) throw new IllegalArgumentException("no adapter gradients");
        double[] sumSquares = new double[b];
        Tensor out = Tensor.zeros(DType.F32, b, k);                                  // [B, k]
        long offset = 0;
        for (var g : gradients.values()) {
            for (Tensor part : new Tensor[]{g.a(), g.b()}) {
                int n = (int) (part.numel() / b);
                Tensor flat = part.contiguous().reshape(b, n);                        // [B, n], row-major per sample
                addSquares(flat, sumSquares);
                if (k > 0) projection.accumulate(flat, offset, seed, out);
                offset += n;
            }
        }
        float[] v = k > 0 ? RandomProjection.normalizeRows(out).toFloatArray() : new float[0];
        out.close();
        float[][] vectors = new float[b][];
        double[] norms = new double[b];
        for (int s = 0; s < b; s++) {
            vectors[s] = k > 0 ? Arrays.copyOfRange(v, s * k, (s + 1) * k) : new float[0];
            norms[s] = Math.sqrt(sumSquares[s]);
        }
        return new Projected(vectors, norms);
    }

    /** h(z): the L2-normalised mean over the first {@code length} positions of one sample's hidden states [T, D]. */
    public static float[] hiddenMean(Tensor hidden, int length) {
        if (hidden.rank() != 2 || length < 1 || length > hidden.size(0)) {
            throw new IllegalArgumentException("hidden states must be [T >= " + length + ", D], got " + hidden);
        }
        int d = hidden.size(1);
        double[] sum = new double[d];
        float[] h = hidden.narrow(0, 0, length).toFloatArray();
        for (int t = 0; t < length; t++) for (int j = 0; j < d; j++) sum[j] += h[t * d + j];
        double ss = 0;
        for (int j = 0; j < d; j++) {
            sum[j] /= length;
            ss += sum[j] * sum[j];
        }
        float[] v = new float[d];
        double inv = ss == 0 ? 0 : 1 / Math.sqrt(ss);
        for (int j = 0; j < d; j++) v[j] = (float) (sum[j] * inv);
        return v;
    }

    private static void addSquares(Tensor flat, double[] sumSquares) {
        int b = flat.size(0), n = flat.size(1);
        Tensor x = flat.dtype() == DType.F32 ? flat : flat.to(DType.F32);
        FloatBuffer f = x.storage().floats();
        for (int s = 0; s < b; s++) {
            double acc = 0;
            for (int j = 0, i0 = x.offset() + s * n; j < n; j++) {
                double v = f.get(i0 + j);
                acc += v * v;
            }
            sumSquares[s] += acc;
        }
    }
}
