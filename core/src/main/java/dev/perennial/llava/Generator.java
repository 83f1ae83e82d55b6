/*
 * Autoregressive generation for a batch of prompts: images are encoded once, prompts are
 * merged left-padded so every row's last prompt token sits at the same column, one prefill pass fills the
 * KvCache, then each step embeds the picked tokens, decodes one position for all rows with the cache, and
 * picks again. Finished rows keep running (their picks are discarded) until all rows are done. Each step
 * runs in a TensorScope: only its logits outlive it. Generation also ends when the longest row fills the
 * context (max_position_embeddings): a prompt of L positions leaves room for maxPositions - L + 1 new tokens
 * (the last one is picked but never fed back), see {@link #room}. A prompt longer than the context is refused
 * before any compute.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Autoregressive generation with a {@link LlavaModel} for a batch of prompts (token ids with image markers, pixels
 * {@code [N, 3, S, S]}): one prefill pass fills a KV cache, then each step decodes one position until EOS, a stop
 * string, {@code maxNewTokens} or the end of the context ({@code max_position_embeddings}). The result holds the new
 * token ids per sample and each step's last-position logits {@code [B, V]}.
 * <p>Thread-safe: its only fields are the final model and backend; every {@code generate} call has its own KV cache,
 * random generator and tensor scopes, so concurrent calls with a thread-safe, non-recording backend give the sequential
 * results bit for bit (ConcurrentInferenceTest).
 */
public final class Generator {
    private final LlavaModel model;
    private final Backend be;

    public Generator(LlavaModel model, Backend be) {
        this.model = model;
        this.be = be;
    }

    /**
     * @param tokens    new tokens per sample (EOS included when hit; stop strings are not cut from the ids)
     * @param stepLogits per step, the last-position logits [B, V] that the token was picked from
     */
    public record Result(List<long[]> tokens, List<Tensor> stepLogits) {}

    /** New tokens a prompt of {@code promptPositions} positions can still get in a context of {@code maxPositions}. */
    public static int room(int maxPositions, int promptPositions) {
        return Math.max(0, maxPositions - promptPositions + 1);
    }

    /**
     * @param prompts one id sequence per sample (image markers included)
     * @param pixels  [N, 3, S, S] images for the markers, or null
     * @param decoder turns new ids into text for stop strings (may be null when cfg has none)
     */
    public Result generate(List<long[]> prompts, Tensor pixels, GenerationConfig cfg, Function<long[], String> decoder) {
        return generate(prompts, pixels, cfg, decoder, (List<PromptInsertion>) null);
    }

    /**
     * As generate(), with prompt embeddings inserted into each sample (ModalPrompt) and attention prefixes
     * (DualPrompt): they enter the prefill pass only; decode steps see them through the KV cache.
     * @param inserts one insertion per sample (null elements: none), or null
     */
    public Result generate(List<long[]> prompts, Tensor pixels, GenerationConfig cfg, Function<long[], String> decoder,
                           List<PromptInsertion> inserts) {
        // the image features, merged inputs and every step's temporaries are freed here; only the step logits stay
        try (TensorScope scope = TensorScope.open()) {
            Result r = run(prompts, pixels, cfg, decoder, inserts);
            r.stepLogits().forEach(scope::keep);
            return r;
        }
    }

    private Result run(List<long[]> prompts, Tensor pixels, GenerationConfig cfg, Function<long[], String> decoder,
                       List<PromptInsertion> inserts) {
        if (!cfg.stopStrings().isEmpty() && decoder == null) throw new IllegalArgumentException("stop strings need a decoder");
        Tensor features = pixels == null ? null : model.imageFeatures(be, pixels);
        MergedInputs in = model.merge(be, prompts, features, null, true, inserts);
        int b = in.batch(), t = in.length();
        int maxPos = model.config().text().maxPositions();
        int longest = 0;
        for (int len : in.lengths()) longest = Math.max(longest, len);
        if (longest > maxPos) {
            throw new IllegalArgumentException("the prompt takes " + longest + " positions (image features included) but the model's"
                    + " context (max_position_embeddings) is " + maxPos);
        }
        int maxNew = Math.min(cfg.maxNewTokens(), room(maxPos, longest));
        SplittableRandom rng = new SplittableRandom(cfg.seed());
        List<List<Long>> out = new ArrayList<>();
        for (int i = 0; i < b; i++) out.add(new ArrayList<>());
        boolean[] done = new boolean[b];
        List<Tensor> stepLogits = new ArrayList<>();
        if (maxNew == 0) return new Result(toArrays(out), stepLogits);
        AttentionPrefix prefix = AttentionPrefix.of(inserts, model.config().text());
        int[] prefixPositions = prefix == null ? new int[model.config().text().numLayers()] : prefix.positionsPerLayer(model.config().text().numLayers());
        // a half-precision model's cache in its dtype where the backend reads it in place; a padded batch keeps F32
        // (the CPU row kernel takes unpadded rows, and the blocked path would widen the whole cache every step)
        boolean padded = false;
        for (int len : in.lengths()) padded |= len != t;
        DType kvType = padded ? DType.F32 : model.decoder().kvCacheType(be);
        try (KvCache cache = new KvCache(be, model.config().text(), b, t + maxNew, prefixPositions, kvType)) {
            LlamaDecoder dec = model.decoder();
            Tensor logits;
            try (TensorScope scope = TensorScope.open()) {
                // the prefill pass writes each layer's attention prefix (if any) into the cache's first slots
                Tensor hidden = dec.forward(be, in.embeds(), in.positions(), in.valid(), cache, prefix).normed();
                logits = scope.keep(dec.logits(be, hidden.narrow(1, t - 1, 1)).reshape(b, -1));   // [B, V]
            }
            long[] nextPos = new long[b];
            for (int i = 0; i < b; i++) nextPos[i] = in.lengths()[i];
            for (int step = 0; ; step++) {
                stepLogits.add(logits);
                long[] picked = new long[b];
                for (int i = 0; i < b; i++) {
                    picked[i] = TokenSampler.pick(logits.select(0, i).toFloatArray(), cfg, rng);
                    if (done[i]) continue;
                    out.get(i).add(picked[i]);
                    done[i] = finished(out.get(i), cfg, decoder);
                }
                boolean all = true;
                for (boolean d : done) all &= d;
                if (all || step + 1 >= maxNew) break;
                boolean[][] valid = new boolean[b][1];
                for (boolean[] row : valid) row[0] = true;
                try (TensorScope scope = TensorScope.open()) {
                    Tensor embeds = dec.embed(be, Tensor.ofLongs(picked, b, 1));                  // [B, 1, D]
                    Tensor positions = Tensor.ofLongs(nextPos.clone(), b, 1);
                    Tensor hidden = dec.forward(be, embeds, positions, valid, cache).normed();
                    logits = scope.keep(dec.logits(be, hidden).reshape(b, -1));
                }
                for (int i = 0; i < b; i++) nextPos[i]++;
            }
        }
        return new Result(toArrays(out), stepLogits);
    }

    private static boolean finished(List<Long> tokens, GenerationConfig cfg, Function<long[], String> decoder) {
        long last = tokens.get(tokens.size() - 1);
        if (cfg.eosIds().contains((int) last)) return true;
        if (cfg.stopStrings().isEmpty()) return false;
        String text = decoder.apply(tokens.stream().mapToLong(Long::longValue).toArray());
        for (String s : cfg.stopStrings()) if (text.contains(s)) return true;
        return false;
    }

    private static List<long[]> toArrays(List<List<Long>> lists) {
        List<long[]> r = new ArrayList<>(lists.size());
        for (List<Long> l : lists) r.add(l.stream().mapToLong(Long::longValue).toArray());
        return r;
    }
}
