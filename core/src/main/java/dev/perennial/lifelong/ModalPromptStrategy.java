/*
 * The "modalprompt" plug-in of a lifelong run (docs/methods/modalprompt.md): a PromptPoolStrategy whose pool is the
 * ModalPrompt preset (PromptPoolConfig.modalPrompt: per-task prompts with keys derived by a key MLP, dual-modality CLIP
 * image + text queries weighted λ / 1 − λ, top-K cosine selection, current-key loss), with its settings and defaults.
 */
package dev.perennial.lifelong;

import dev.perennial.prompt.PromptPoolConfig;

import java.io.IOException;

/**
 * ModalPrompt as a strategy type: its settings ("modalprompt": clip, prompts, prompt_length, lambda, lr) and the
 * {@code TYPE} that creates a {@link PromptPoolStrategy} with the ModalPrompt pool.
 * <p>Stateless; {@code TYPE} is immutable and safe to share.
 */
public final class ModalPromptStrategy {
    private ModalPromptStrategy() {}

    /**
     * Settings ("modalprompt": {"clip", "prompts", "prompt_length", "lambda", "lr", "protocol", "data_fraction",
     * "epochs"}): the CLIP model folder the selection queries come from (required to run), prompts per task, tokens per
     * prompt, the text query's weight, the prompt learning rate and the training protocol (PromptProtocol: by default
     * the paper's, all of a task's data for 10 epochs). The one place these defaults live (the CLI reads them from here).
     */
    public record Settings(java.nio.file.Path clip, int prompts, int promptLength, float lambda, double lr, PromptProtocol protocol) {
        public Settings {
            if (prompts < 1) throw new IllegalArgumentException("\"modalprompt.prompts\" must be at least 1, got " + prompts);
            if (promptLength < 1) throw new IllegalArgumentException("\"modalprompt.prompt_length\" must be at least 1, got " + promptLength);
            if (!(lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("modalprompt.lambda must be in [0, 1], got " + lambda);
            if (!(lr > 0)) throw new IllegalArgumentException("modalprompt.lr must be > 0");
        }

        /** The papers' protocol (PromptProtocol.paper()). */
        public Settings(java.nio.file.Path clip, int prompts, int promptLength, float lambda, double lr) {
            this(clip, prompts, promptLength, lambda, lr, PromptProtocol.paper());
        }

        public static final int PROMPTS = 3, PROMPT_LENGTH = 10;
        public static final float LAMBDA = 0.5f;
        public static final double LR = 2e-4;

        /** No CLIP folder yet; 3 prompts of 10 tokens per task, λ = 0.5, lr 2e-4. */
        public static Settings defaults() { return new Settings(null, PROMPTS, PROMPT_LENGTH, LAMBDA, LR); }

        public Settings withClip(java.nio.file.Path c) { return new Settings(c, prompts, promptLength, lambda, lr, protocol); }
    }

    /** A prompt plug-in's own settings keys plus the protocol's (PromptProtocol.KEYS). */
    static java.util.Set<String> known(java.util.Set<String> own) {
        java.util.Set<String> all = new java.util.HashSet<>(own);
        all.addAll(PromptProtocol.KEYS);
        return all;
    }

    /** The plug-in: "modalprompt". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "modalprompt"; }
        @Override public String settingsKey() { return "modalprompt"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(known(java.util.Set.of("clip", "prompts", "prompt_length", "lambda", "lr")));
            Settings d = Settings.defaults();
            return new Settings(j.path("clip", false), j.integer("prompts", d.prompts()), j.integer("prompt_length", d.promptLength()),
                    (float) j.number("lambda", d.lambda()), j.number("lr", d.lr()), PromptProtocol.parse(j, "modalprompt"));
        }

        @Override
        public void validate(Settings s) {
            if (s.clip() == null) throw new IllegalArgumentException("the modalprompt strategy needs \"modalprompt\": {\"clip\": DIR}");
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            RunSettings r = c.common();
            PromptPoolConfig pool = PromptPoolConfig.modalPrompt(s.prompts(), s.promptLength(), s.lambda(), PromptPoolStrategy.queryWidth(s.clip()));
            return new PromptPoolStrategy(name(), c.session(), s.clip(), pool, c.work().resolve("prompts"), r.train().withLearningRate(s.lr()),
                    s.protocol(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens());
        }
    };
}
