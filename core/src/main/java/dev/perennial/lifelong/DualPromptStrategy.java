/*
 * The "dualprompt" plug-in of a lifelong run: DualPrompt (Wang et al., ECCV 2022, "DualPrompt: Complementary
 * Prompting for Rehearsal-free Continual Learning") as a PromptPoolStrategy whose pool is the DualPrompt preset
 * (PromptPoolConfig.dualPrompt): a G-prompt shared by every task, prefix-tuned into the decoder layers g_layers,
 * and per task an E-prompt with a free key, prefix-tuned into e_layers (AttentionPrefix: each layer's prompt of
 * length L gives L/2 keys and L/2 values prepended to the attention's). Training uses the true task's E-prompt and
 * pulls its key towards the frozen CLIP image feature (1 - cos); at test time the E-prompt of the nearest key is
 * used. The backbone is frozen and nothing is replayed. Defaults: G in layers 0-1, E in layers 2-4 (the paper's),
 * Le = 20 (the paper's), Lg = 6 (the paper's 5 cannot be halved into keys and values; 6 as CODA-Prompt's
 * reimplementation), lr 2e-4 (as the other prompt strategies; docs/methods/modalprompt.md §14.2).
 */
package dev.perennial.lifelong;

import dev.perennial.llava.LlamaConfig;
import dev.perennial.prompt.PromptPoolConfig;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * DualPrompt as a strategy type: its settings ("dualprompt": clip, g_layers, g_length, e_layers, e_length, lr) and the
 * {@code TYPE} that creates a {@link PromptPoolStrategy} with the DualPrompt pool.
 * <p>Stateless; {@code TYPE} is immutable and safe to share.
 */
public final class DualPromptStrategy {
    private DualPromptStrategy() {}

    /** Settings ("dualprompt": {"clip", "g_layers", "g_length", "e_layers", "e_length", "lr"}). */
    public record Settings(java.nio.file.Path clip, List<Integer> gLayers, int gLength, List<Integer> eLayers, int eLength, double lr,
                           PromptProtocol protocol) {
        public Settings {
            gLayers = List.copyOf(gLayers);
            eLayers = List.copyOf(eLayers);
            if (eLayers.isEmpty()) throw new IllegalArgumentException("\"dualprompt.e_layers\" must list at least one decoder layer");
            if (eLength < 2 || eLength % 2 != 0) {
                throw new IllegalArgumentException("\"dualprompt.e_length\" must be even and >= 2 (half keys, half values), got " + eLength);
            }
            if (gLength < 2 || gLength % 2 != 0) {
                throw new IllegalArgumentException("\"dualprompt.g_length\" must be even and >= 2 (half keys, half values), got " + gLength);
            }
            for (int l : gLayers) if (l < 0) throw new IllegalArgumentException("\"dualprompt.g_layers\" holds " + l + ": layers are >= 0");
            for (int l : eLayers) if (l < 0) throw new IllegalArgumentException("\"dualprompt.e_layers\" holds " + l + ": layers are >= 0");
            for (int l : gLayers) {
                if (eLayers.contains(l)) {
                    throw new IllegalArgumentException("layer " + l + " is in both \"dualprompt.g_layers\" " + gLayers + " and \"dualprompt.e_layers\" "
                            + eLayers + ": a layer gets one prompt");
                }
            }
            if (gLayers.stream().distinct().count() != gLayers.size() || eLayers.stream().distinct().count() != eLayers.size()) {
                throw new IllegalArgumentException("\"dualprompt.g_layers\" " + gLayers + " and \"dualprompt.e_layers\" " + eLayers + " must not repeat a layer");
            }
            if (!(lr > 0)) throw new IllegalArgumentException("\"dualprompt.lr\" must be > 0");
        }

        /** The papers' protocol (PromptProtocol.paper()). */
        public Settings(java.nio.file.Path clip, List<Integer> gLayers, int gLength, List<Integer> eLayers, int eLength, double lr) {
            this(clip, gLayers, gLength, eLayers, eLength, lr, PromptProtocol.paper());
        }

        /** No CLIP folder yet; G in layers 0-1 with Lg = 6, E in layers 2-4 with Le = 20, lr 2e-4. */
        public static Settings defaults() { return new Settings(null, List.of(0, 1), 6, List.of(2, 3, 4), 20, 2e-4); }

        public Settings withClip(java.nio.file.Path c) { return new Settings(c, gLayers, gLength, eLayers, eLength, lr, protocol); }

        /** Refuses layers beyond the model's depth, naming the setting. */
        public void checkDepth(LlamaConfig text) {
            for (String key : new String[]{"g_layers", "e_layers"}) {
                for (int l : key.equals("g_layers") ? gLayers : eLayers) {
                    if (l >= text.numLayers()) {
                        throw new IllegalArgumentException("\"dualprompt." + key + "\" holds layer " + l + " but the model has " + text.numLayers()
                                + " decoder layers (0-" + (text.numLayers() - 1) + ")");
                    }
                }
            }
        }
    }

    /** The plug-in: "dualprompt". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "dualprompt"; }
        @Override public String settingsKey() { return "dualprompt"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(ModalPromptStrategy.known(Set.of("clip", "g_layers", "g_length", "e_layers", "e_length", "lr")));
            Settings d = Settings.defaults();
            return new Settings(j.path("clip", false), j.integers("g_layers", d.gLayers()), j.integer("g_length", d.gLength()),
                    j.integers("e_layers", d.eLayers()), j.integer("e_length", d.eLength()), j.number("lr", d.lr()),
                    PromptProtocol.parse(j, "dualprompt"));
        }

        @Override
        public void validate(Settings s) {
            if (s.clip() == null) throw new IllegalArgumentException("the dualprompt strategy needs \"dualprompt\": {\"clip\": DIR}");
        }

        @Override
        public void checkModel(Settings s, dev.perennial.llava.LlavaConfig model) {
            s.checkDepth(model.text());
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            s.checkDepth(c.session().model().config().text());
            RunSettings r = c.common();
            PromptPoolConfig pool = PromptPoolConfig.dualPrompt(s.gLayers(), s.gLength(), s.eLayers(), s.eLength(),
                    PromptPoolStrategy.queryWidth(s.clip()), "image");
            return new PromptPoolStrategy(name(), c.session(), s.clip(), pool, c.work().resolve("prompts"), r.train().withLearningRate(s.lr()),
                    s.protocol(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens());
        }
    };
}
