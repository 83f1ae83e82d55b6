/*
 * The "l2p" plug-in of a lifelong run: Learning to Prompt (Wang et al., CVPR 2022) as a PromptPoolStrategy whose pool
 * is the L2P preset (PromptPoolConfig.l2p): one pool of M prompts shared by every task, each with a free learnable key;
 * the query is the frozen CLIP image embedding; the N prompts whose keys are nearest (cosine) are prepended; the
 * surrogate loss pulls the selected keys towards the query with weight λ. Defaults are the paper's (M = 10, N = 5,
 * prompt length 5); λ = 0.5 and the learning rate 2e-4 are ours (docs/methods/modalprompt.md, "Baselines").
 */
package dev.perennial.lifelong;

import dev.perennial.prompt.PromptPoolConfig;

import java.io.IOException;

/**
 * L2P as a strategy type: its settings ("l2p": clip, pool_size, selected, prompt_length, key_loss_weight, lr) and the
 * {@code TYPE} that creates a {@link PromptPoolStrategy} with the L2P pool.
 * <p>Stateless; {@code TYPE} is immutable and safe to share.
 */
public final class L2pStrategy {
    private L2pStrategy() {}

    /** Settings ("l2p": {"clip", "pool_size", "selected", "prompt_length", "key_loss_weight", "lr"}). */
    public record Settings(java.nio.file.Path clip, int poolSize, int selected, int promptLength, float keyLossWeight, double lr,
                           PromptProtocol protocol) {
        public Settings {
            if (poolSize < 1) throw new IllegalArgumentException("\"l2p.pool_size\" must be at least 1, got " + poolSize);
            if (selected < 1 || selected > poolSize) {
                throw new IllegalArgumentException("\"l2p.selected\" must be in [1, pool_size = " + poolSize + "], got " + selected);
            }
            if (promptLength < 1) throw new IllegalArgumentException("\"l2p.prompt_length\" must be at least 1, got " + promptLength);
            if (!(keyLossWeight >= 0) || Float.isInfinite(keyLossWeight)) {
                throw new IllegalArgumentException("\"l2p.key_loss_weight\" must be a finite number >= 0, got " + keyLossWeight);
            }
            if (!(lr > 0)) throw new IllegalArgumentException("\"l2p.lr\" must be > 0");
        }

        /** No CLIP folder yet; M = 10, N = 5, prompt length 5 (the paper's), λ = 0.5, lr 2e-4. */
        /** The papers' protocol (PromptProtocol.paper()). */
        public Settings(java.nio.file.Path clip, int poolSize, int selected, int promptLength, float keyLossWeight, double lr) {
            this(clip, poolSize, selected, promptLength, keyLossWeight, lr, PromptProtocol.paper());
        }

        public static Settings defaults() { return new Settings(null, 10, 5, 5, 0.5f, 2e-4); }

        public Settings withClip(java.nio.file.Path c) { return new Settings(c, poolSize, selected, promptLength, keyLossWeight, lr, protocol); }
    }

    /** The plug-in: "l2p". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "l2p"; }
        @Override public String settingsKey() { return "l2p"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(ModalPromptStrategy.known(java.util.Set.of("clip", "pool_size", "selected", "prompt_length", "key_loss_weight", "lr")));
            Settings d = Settings.defaults();
            return new Settings(j.path("clip", false), j.integer("pool_size", d.poolSize()), j.integer("selected", d.selected()),
                    j.integer("prompt_length", d.promptLength()), (float) j.number("key_loss_weight", d.keyLossWeight()), j.number("lr", d.lr()),
                    PromptProtocol.parse(j, "l2p"));
        }

        @Override
        public void validate(Settings s) {
            if (s.clip() == null) throw new IllegalArgumentException("the l2p strategy needs \"l2p\": {\"clip\": DIR}");
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            RunSettings r = c.common();
            PromptPoolConfig pool = PromptPoolConfig.l2p(s.poolSize(), s.selected(), s.promptLength(), PromptPoolStrategy.queryWidth(s.clip()),
                    "image", s.keyLossWeight());
            return new PromptPoolStrategy(name(), c.session(), s.clip(), pool, c.work().resolve("prompts"), r.train().withLearningRate(s.lr()),
                    s.protocol(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens());
        }
    };
}
