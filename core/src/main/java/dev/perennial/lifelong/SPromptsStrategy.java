/*
 * The "s-prompts" plug-in of a lifelong run: S-Prompts (Wang et al., NeurIPS 2022) as a PromptPoolStrategy whose pool
 * is the S-Prompts preset (PromptPoolConfig.sPrompts): each task (domain) gets its own prompt, trained alone; its keys
 * are the k-means centroids of the task's frozen CLIP image embeddings; at test time the task whose nearest centroid
 * is closest to the query supplies the prompt (argmax); no key loss. Defaults: 5 centroids per task (the paper's K),
 * prompt length 10 and lr 2e-4 (ours, as ModalPrompt's; docs/methods/modalprompt.md, "Baselines").
 */
package dev.perennial.lifelong;

import dev.perennial.prompt.PromptPoolConfig;

import java.io.IOException;

/**
 * S-Prompts as a strategy type: its settings ("s_prompts": clip, prompt_length, centroids, lr) and the {@code TYPE}
 * that creates a {@link PromptPoolStrategy} with the S-Prompts pool.
 * <p>Stateless; {@code TYPE} is immutable and safe to share.
 */
public final class SPromptsStrategy {
    private SPromptsStrategy() {}

    /** Settings ("s_prompts": {"clip", "prompt_length", "centroids", "lr"}). */
    public record Settings(java.nio.file.Path clip, int promptLength, int centroids, double lr, PromptProtocol protocol) {
        public Settings {
            if (promptLength < 1) throw new IllegalArgumentException("\"s_prompts.prompt_length\" must be at least 1, got " + promptLength);
            if (centroids < 1) throw new IllegalArgumentException("\"s_prompts.centroids\" must be at least 1, got " + centroids);
            if (!(lr > 0)) throw new IllegalArgumentException("\"s_prompts.lr\" must be > 0");
        }

        /** No CLIP folder yet; prompt length 10, 5 centroids per task, lr 2e-4. */
        /** The papers' protocol (PromptProtocol.paper()). */
        public Settings(java.nio.file.Path clip, int promptLength, int centroids, double lr) {
            this(clip, promptLength, centroids, lr, PromptProtocol.paper());
        }

        public static Settings defaults() { return new Settings(null, 10, 5, 2e-4); }

        public Settings withClip(java.nio.file.Path c) { return new Settings(c, promptLength, centroids, lr, protocol); }
    }

    /** The plug-in: "s-prompts". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "s-prompts"; }
        @Override public String settingsKey() { return "s_prompts"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(ModalPromptStrategy.known(java.util.Set.of("clip", "prompt_length", "centroids", "lr")));
            Settings d = Settings.defaults();
            return new Settings(j.path("clip", false), j.integer("prompt_length", d.promptLength()), j.integer("centroids", d.centroids()),
                    j.number("lr", d.lr()), PromptProtocol.parse(j, "s_prompts"));
        }

        @Override
        public void validate(Settings s) {
            if (s.clip() == null) throw new IllegalArgumentException("the s-prompts strategy needs \"s_prompts\": {\"clip\": DIR}");
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            RunSettings r = c.common();
            PromptPoolConfig pool = PromptPoolConfig.sPrompts(s.promptLength(), PromptPoolStrategy.queryWidth(s.clip()), "image", s.centroids());
            return new PromptPoolStrategy(name(), c.session(), s.clip(), pool, c.work().resolve("prompts"), r.train().withLearningRate(s.lr()),
                    s.protocol(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens());
        }
    };
}
