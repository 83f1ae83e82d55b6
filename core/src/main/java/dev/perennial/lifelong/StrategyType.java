/*
 * A lifelong strategy as a plug-in (docs/architecture.md, "How to add …"): its name in run files and on the command
 * line, its typed settings with their defaults and their strict JSON form, and how to build it for one run. The
 * standard ones are registered in Strategies.standard(); a user registers their own the same way.
 */
package dev.perennial.lifelong;

import java.io.IOException;

/**
 * A lifelong strategy as a plug-in: its name in run files and on the command line, its run-file settings key, its typed
 * settings with their defaults and strict JSON parsing, and how to create it for one run; register it with
 * {@code Strategies.register}.
 * <p>Thread-safety is the implementation's; the standard types (the standard strategies' {@code TYPE} constants, and
 * {@code withoutSettings}) hold no mutable state and are safe to share.
 */
public interface StrategyType<S> {
    /** The name in "strategies": [...] and --strategies (e.g. "replay"). */
    String name();

    /** The run file's key of its settings object ("replay", "adapt_inf"), or null when it has no settings. */
    String settingsKey();

    /** Its settings when the run file gives none. */
    S defaults();

    /** Its settings from the run file's object under settingsKey() (strict: unknown keys and wrong types are errors). */
    S parse(JsonSettings json);

    /** Checks settings that only matter when the strategy runs (e.g. a required model folder); throws naming the key. */
    default void validate(S settings) {}

    /**
     * Checks settings against the run's base model (e.g. decoder layers they name); RunPlan.run calls it for every
     * strategy before any work starts, so a mistake is not found after other strategies have trained for hours.
     */
    default void checkModel(S settings, dev.perennial.llava.LlavaConfig model) {}

    /** The strategy for one run, with its settings. */
    Strategy create(StrategyContext context, S settings) throws IOException;

    /** A strategy without settings of its own (they all come from the run's RunSettings). */
    static StrategyType<Void> withoutSettings(String name, java.util.function.Function<StrategyContext, Strategy> create) {
        return new StrategyType<>() {
            @Override public String name() { return name; }
            @Override public String settingsKey() { return null; }
            @Override public Void defaults() { return null; }
            @Override public Void parse(JsonSettings json) { return null; }
            @Override public Strategy create(StrategyContext context, Void none) { return create.apply(context); }
        };
    }

    /** This type with these settings. */
    default StrategySpec<S> with(S settings) { return new StrategySpec<>(this, settings); }
}
