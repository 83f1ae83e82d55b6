/* One strategy of a run plan: its type and its settings (typed: a strategy never reads another's settings). */
package dev.perennial.lifelong;

import java.io.IOException;

public record StrategySpec<S>(StrategyType<S> type, S settings) {
    public StrategySpec {
        type.validate(settings);
    }

    public String name() { return type.name(); }

    Strategy create(StrategyContext context) throws IOException { return type.create(context, settings); }
}
