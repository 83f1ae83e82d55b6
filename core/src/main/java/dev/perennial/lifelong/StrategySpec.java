/* One strategy of a run plan: its type and its settings (typed: a strategy never reads another's settings). */
package dev.perennial.lifelong;

import java.io.IOException;

/**
 * One strategy of a run plan: its {@code StrategyType} and its typed settings, checked by the type's {@code validate}
 * on construction; {@code name()} is the type's name.
 * <p>Immutable, and safe to share between threads, when its settings are (the standard strategies' settings are records
 * of numbers and paths, or none).
 */
public record StrategySpec<S>(StrategyType<S> type, S settings) {
    public StrategySpec {
        type.validate(settings);
    }

    public String name() { return type.name(); }

    /** The type's checks of these settings against the run's base model (StrategyType.checkModel). */
    public void checkModel(dev.perennial.llava.LlavaConfig model) { type.checkModel(settings, model); }

    Strategy create(StrategyContext context) throws IOException { return type.create(context, settings); }
}
