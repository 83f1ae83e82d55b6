/*
 * ModalPrompt's per-task key generator g_i (docs/methods/modalprompt.md §2.2, §3): g(x) = W2 · SiLU(W1 · x + b1) + b2 with
 * W1 [D, D], W2 [d, D], applied to every prompt row; the task key is the mean over the L rows,
 *   k_i = (1/L) sum_j g_i(P_i[j])                                              [d]
 * The MLP exists only to produce the key; it is never applied to the tokens the LLM sees. Initialised as PyTorch's
 * nn.Linear (Kaiming-uniform with a = sqrt(5): weights and biases uniform in ±1/sqrt(fan_in)), from a seed.
 */
package dev.perennial.prompt;

import dev.perennial.nn.Linear;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ModalPrompt's per-task key generator: an MLP {@code D -> D -> d} with SiLU, W1 {@code [D, D]} and W2 {@code [d, D]};
 * {@code key} maps a prompt {@code [L, D]} to the mean of its rows' outputs, a key {@code [d]}, and {@code initialise}
 * draws PyTorch {@code nn.Linear}'s default initialisation from a seed.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally) while it trains; {@code tensors()}
 * returns the live weights, which training updates in place.
 */
public final class KeyMlp {
    /** Tensor names, as the official checkpoint's prompt_transform.{i}.{0,2}.{weight,bias}. */
    public static final String W1 = "key_mlp.0.weight", B1 = "key_mlp.0.bias", W2 = "key_mlp.2.weight", B2 = "key_mlp.2.bias";

    private final Linear first, second;

    public KeyMlp(Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        if (w1.rank() != 2 || w1.size(0) != w1.size(1) || w2.rank() != 2 || w2.size(1) != w1.size(0)) {
            throw new IllegalArgumentException("key MLP weights must be [D, D] and [d, D], got " + w1 + " and " + w2);
        }
        this.first = new Linear("key_mlp.0", w1, b1);
        this.second = new Linear("key_mlp.2", w2, b2);
    }

    /** A fresh MLP D -> D -> d with nn.Linear's default initialisation drawn from {@code seed}. */
    public static KeyMlp initialise(int hidden, int keyDim, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(hidden);                       // both layers have fan_in = D
        return new KeyMlp(uniform(rng, bound, hidden, hidden), uniform(rng, bound, hidden),
                uniform(rng, bound, keyDim, hidden), uniform(rng, bound, keyDim));
    }

    private static Tensor uniform(SplittableRandom rng, double bound, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return Tensor.of(v, shape);
    }

    public int hidden() { return first.inFeatures(); }
    public int keyDim() { return second.outFeatures(); }

    /** k = mean over rows of g(prompt[j]): prompt [L, D] -> [d]. Differentiable on a GradBackend. */
    public Tensor key(Backend be, Tensor prompt) {
        if (prompt.rank() != 2 || prompt.size(1) != hidden()) {
            throw new IllegalArgumentException("prompt must be [L, " + hidden() + "], got " + prompt);
        }
        Tensor h = be.silu(first.forward(be, prompt));                                       // [L, D]
        return be.mean(second.forward(be, h), 0, false);                                     // [d]
    }

    /** The four tensors by name (W1, b1, W2, b2), the live objects (training updates them in place). */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(W1, first.weight());
        m.put(B1, first.bias());
        m.put(W2, second.weight());
        m.put(B2, second.bias());
        return m;
    }

    /** Rebuilds an MLP from tensors(); IllegalArgumentException naming a missing tensor. */
    public static KeyMlp of(Map<String, Tensor> tensors) {
        for (String n : new String[]{W1, B1, W2, B2}) if (!tensors.containsKey(n)) throw new IllegalArgumentException("missing " + n);
        return new KeyMlp(tensors.get(W1), tensors.get(B1), tensors.get(W2), tensors.get(B2));
    }
}
