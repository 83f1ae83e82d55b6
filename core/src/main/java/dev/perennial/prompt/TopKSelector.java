/*
 * Top-K selection (docs/methods/modalprompt.md §5.2–5.3): at test time the min(n, K) best entries, listed in ascending
 * score order so the most similar prompt sits nearest the text. In training with forceCurrent (ModalPrompt), the
 * entry being trained is always last: K = 1 gives [c]; while c + 1 <= K − 1 the earlier entries [0, .., c − 1] in
 * natural order; otherwise the K − 1 best earlier entries, ascending, then c. Without forceCurrent (L2P's shared
 * pool) training selects as at test time. The PromptSelector "top-k".
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The K best entries (ModalPrompt's transfer number, L2P's N), with ModalPrompt's training rule when
 * {@code forceCurrent}.
 * <p>Immutable; safe to share between threads.
 *
 * @param k            K >= 1
 * @param forceCurrent force the entry being trained (per-task pools)
 */
public record TopKSelector(int k, boolean forceCurrent) implements PromptSelector {
    public TopKSelector {
        if (k < 1) throw new IllegalArgumentException("top-k needs K >= 1, got " + k);
    }

    @Override public String type() { return "top-k"; }
    @Override public boolean forcesCurrent() { return forceCurrent; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", k);
        m.put("forceCurrent", forceCurrent);
        return m;
    }

    @Override
    public PromptSelection inference(PromptPool pool, Backend be, Tensor queries) {
        return pool.ranked(be, queries, pool.size(), null, Math.min(pool.size(), k));
    }

    @Override
    public PromptSelection training(PromptPool pool, Backend be, Tensor queries, int current) {
        int b = queries.size(1);
        if (k == 1) return pool.forced(be, queries, new int[b][0], current);
        if (current + 1 <= k - 1) {                                                       // t <= K - 1: [1..t]
            int[] all = new int[current];
            for (int i = 0; i < current; i++) all[i] = i;
            int[][] rows = new int[b][];
            Arrays.fill(rows, all);
            return pool.forced(be, queries, rows, current);
        }
        Tensor mask = Tensor.zeros(DType.U8, b, current);                                 // previous tasks only
        for (int s = 0; s < b; s++) for (int i = 0; i < current; i++) mask.setLong(1, s, i);
        PromptSelection previous = pool.ranked(be, queries, current, mask, k - 1);
        return pool.forced(be, queries, previous.entries(), current);
    }
}
