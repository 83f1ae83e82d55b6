/*
 * What the score stage of the Spark job depends on, shipped to every executor (Java-serializable): the model folder
 * (on storage every executor reads), the tokenizer, the image root, and the `perennial score` options the job
 * offers, with score's defaults. Executors build their scoring model from it (ExecutorModels), so the settings
 * are the cache key of the model an executor keeps open.
 */
package dev.perennial.spark;

import java.io.Serializable;
import java.util.List;

/**
 * The scoring settings of an adapt-step job.
 * @param model      checkpoint folder (llava-hf or original LLaVA), readable at the same path on every executor
 * @param tokenizer  tokenizer file, or null: from the model folder
 * @param images     image root, or null: a text-only pool
 * @param scorers    scorer names (ScorerRegistry), in output order
 * @param dim        projection dimension k
 * @param seed       projection and fresh-adapter seed
 * @param layers     decoder layers of the LoRA gradient, or null: the last
 * @param loraRank   rank of fresh adapters (alpha 2·rank), when the model folder has none
 * @param compat     the official code's ppl and IG (score --compat)
 * @param maxLength  token limit per sample
 * @param template   conversation template name
 * @param group      projection group (rows projected together); 0: ScoringPass.defaultGroup()
 */
public record ScoreSettings(String model, String tokenizer, String images, List<String> scorers, int dim, long seed, List<Integer> layers,
                            int loraRank, boolean compat, int maxLength, String template, int group) implements Serializable {
    public ScoreSettings {
        if (model == null) throw new IllegalArgumentException("a model folder is required");
        if (scorers == null || scorers.isEmpty()) throw new IllegalArgumentException("at least one scorer is required");
        if (dim < 1) throw new IllegalArgumentException("--dim must be positive, got " + dim);
        if (loraRank < 1) throw new IllegalArgumentException("--lora-rank must be positive, got " + loraRank);
        if (group < 0) throw new IllegalArgumentException("--projection-group must be positive, got " + group);
        scorers = List.copyOf(scorers);
        layers = layers == null ? null : List.copyOf(layers);
    }
}
