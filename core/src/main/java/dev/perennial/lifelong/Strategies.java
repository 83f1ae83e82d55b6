/*
 * The strategies a run plan can name, by name (like select.ScorerRegistry for scorers): standard() holds the eight
 * of this project — sequential fine-tuning, random replay, multi-task training (the upper bound), ADAPT-∞,
 * ModalPrompt and the prompt baselines L2P, DualPrompt and S-Prompts; register() adds a user's own StrategyType. Order of registration is the order names are listed in.
 */
package dev.perennial.lifelong;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The strategy types a run plan can name, by name: {@code standard()} registers sequential fine-tuning, random replay,
 * multi-task training, ADAPT-∞, ModalPrompt, L2P, DualPrompt and S-Prompts, and {@code register} adds a user's own {@code StrategyType}; names are
 * listed in registration order.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its types are an unsynchronized
 * {@code LinkedHashMap} that {@code register} changes.
 */
public final class Strategies {
    private final Map<String, StrategyType<?>> types = new LinkedHashMap<>();

    /** The eight standard strategies. */
    public static Strategies standard() {
        return new Strategies().register(SequentialFineTuning.TYPE).register(RandomReplay.TYPE).register(MultiTaskTraining.TYPE)
                .register(AdaptInfStrategy.TYPE).register(ModalPromptStrategy.TYPE).register(L2pStrategy.TYPE)
                .register(DualPromptStrategy.TYPE).register(SPromptsStrategy.TYPE);
    }

    /** The strategies a run runs when it names none: every standard one but multi-task training. */
    public static final List<String> DEFAULT_RUN = List.of("sequential", "replay", "adapt-inf", "modalprompt");

    /** Adds {@code type} (its name must be new); returns this. */
    public Strategies register(StrategyType<?> type) {
        if (types.putIfAbsent(type.name(), type) != null) throw new IllegalArgumentException("strategy " + type.name() + " is already registered");
        return this;
    }

    /** The type named {@code name}, or an error listing the known names. */
    public StrategyType<?> type(String name) {
        StrategyType<?> t = types.get(name);
        if (t == null) throw new IllegalArgumentException("unknown strategy " + name + " (known: " + names() + ")");
        return t;
    }

    public List<String> names() { return new ArrayList<>(types.keySet()); }

    /** The run file's settings keys of every registered strategy (so a run file may set a strategy it does not run). */
    List<String> settingsKeys() {
        List<String> keys = new ArrayList<>();
        for (StrategyType<?> t : types.values()) if (t.settingsKey() != null) keys.add(t.settingsKey());
        return keys;
    }

    /**
     * The specs of the strategies {@code names} with their settings from {@code run}. Every registered strategy's
     * settings object is read (strictly) whether it runs or not, so a typo in any of them is an error.
     */
    List<StrategySpec<?>> specs(List<String> names, JsonSettings run) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (StrategyType<?> t : types.values()) {
            settings.put(t.name(), t.settingsKey() == null ? t.defaults() : t.parse(run.object(t.settingsKey())));
        }
        List<StrategySpec<?>> out = new ArrayList<>();
        for (String name : names) out.add(spec(type(name), settings.get(name)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <S> StrategySpec<S> spec(StrategyType<S> type, Object settings) {
        return type.with((S) settings);
    }

    /** The spec of strategy {@code name} with its default settings. */
    public StrategySpec<?> withDefaults(String name) {
        return spec(type(name), type(name).defaults());
    }
}
