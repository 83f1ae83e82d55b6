/*
 * Task-agnostic inference with a prompt pool (docs/methods/modalprompt.md §5.3, §7): per batch of samples, the queries select
 * entries over the whole pool (top min(t, K), most similar last), the composed prompts are inserted after BOS for
 * the prefill pass only (decode steps read them through the KV cache), and the answer is generated greedily (or as
 * the GenerationConfig says). Prompts are not vocabulary tokens here, so they can never be generated (bug B6). The
 * selection of each sample is returned with its scores and counted in SelectionStats under the caller's group.
 */
package dev.perennial.prompt;

import dev.perennial.data.LlavaSample;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Task-agnostic inference with a prompt pool: per batch, queries {@code [M, B, d]} select entries over the whole pool,
 * the composed prompts are inserted for the prefill pass, and answers are generated (pixels {@code [3, S, S]} per
 * sample, or null); each {@code Prediction} holds the text, the selected entries and their scores.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); selection goes through a
 * {@code PromptPool}, whose entries cache their keys without synchronization.
 */
public final class PromptInference {
    /**
     * @param entries the selected entries' names in insertion order (most similar last)
     * @param scores  their selection scores
     */
    public record Prediction(LlavaSample sample, String text, List<String> entries, float[] scores) {}

    private final PromptPool pool;
    private final LlavaModel model;
    private final Backend be;
    private final Tokenizer tokenizer;
    private final ConversationTemplate template;

    public PromptInference(PromptPool pool, LlavaModel model, Backend be, Tokenizer tokenizer, ConversationTemplate template) {
        this.pool = pool;
        this.model = model;
        this.be = be;
        this.tokenizer = tokenizer;
        this.template = template;
    }

    /** The generation prompt of a sample: its first human turn (image placeholder first, as LLaVA places it). */
    public long[] promptIds(LlavaSample s) {
        ConversationTurn first = s.conversations().stream().filter(ConversationTurn::isHuman).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(s.describe() + " has no human turn"));
        String q = first.value();
        if (s.hasImage() && !q.contains("<image>")) q = "<image>\n" + q;
        if (!s.hasImage()) q = q.replace("<image>", "").strip();
        int[] ids = template.generationIds(tokenizer, List.of(ConversationTurn.human(q)), model.config().imageTokenIndex());
        return Arrays.stream(ids).asLongStream().toArray();
    }

    /**
     * Answers a batch.
     * @param samples the samples (first human turn = the question)
     * @param pixels  per sample the LLaVA pixels [3, S, S], or null for a text-only sample
     * @param queries [M, B, d] their queries
     * @param stats   counts the selections under {@code group} (may be null)
     */
    public List<Prediction> answer(List<LlavaSample> samples, List<Tensor> pixels, Tensor queries, GenerationConfig gen,
                                   SelectionStats stats, String group) {
        int b = samples.size();
        if (pixels.size() != b || queries.size(1) != b) throw new IllegalArgumentException("one image slot and one query per sample");
        PromptSelection sel = pool.selectForInference(be, queries);
        if (stats != null) stats.add(sel, group);
        List<long[]> prompts = new ArrayList<>(b);
        List<Tensor> images = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            prompts.add(promptIds(samples.get(i)));
            if (pixels.get(i) != null) images.add(pixels.get(i).unsqueeze(0));
        }
        List<long[]> tokens;
        try (TensorScope ignored = TensorScope.open()) {
            List<PromptInsertion> inserts = pool.compose(be, sel);
            Tensor px = images.isEmpty() ? null : be.concat(images, 0);
            int firstMasked = Math.min(gen.maskIdsFrom(), tokenizer.vocabSize());
            tokens = new Generator(model, be).generate(prompts, px, gen.withMaskIdsFrom(firstMasked), this::decode, inserts).tokens();
        }
        List<Prediction> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            List<String> names = new ArrayList<>();
            for (int e : sel.entries()[i]) names.add(pool.entry(e).name());
            out.add(new Prediction(samples.get(i), decode(tokens.get(i)).strip(), names, sel.scores()[i].clone()));
        }
        return out;
    }

    private String decode(long[] ids) {
        int[] v = Arrays.stream(ids).mapToInt(Math::toIntExact).filter(id -> !isEos(id)).toArray();
        return tokenizer.decode(v, true);
    }

    private boolean isEos(int id) {
        return id == model.config().text().eosTokenId();
    }
}
