/*
 * One message of a LLaVA conversation as it appears in LLaVA training JSON
 * ({"from": "human", "value": "<image>\n..."}, {"from": "gpt", "value": "..."}; llava/train/train.py
 * preprocess_v1 maps "human" to the template's first role and "gpt" to the second). The data package builds
 * these from the JSON; the text package only formats and tokenizes them (ConversationTemplate).
 */
package dev.perennial.text;

import java.util.Objects;

/**
 * One message of a LLaVA conversation as in LLaVA training JSON: who it is from ("human" or "gpt") and its text, which
 * may contain the {@code <image>} placeholder.
 * <p>Immutable; safe to share between threads (a record of two strings).
 */
public record ConversationTurn(String from, String value) {
    public static final String HUMAN = "human";
    public static final String GPT = "gpt";

    public ConversationTurn {
        Objects.requireNonNull(value, "value");
        if (!HUMAN.equals(from) && !GPT.equals(from)) {
            throw new IllegalArgumentException("a turn is from \"" + HUMAN + "\" or \"" + GPT + "\", not " + from);
        }
    }

    public static ConversationTurn human(String value) { return new ConversationTurn(HUMAN, value); }

    public static ConversationTurn gpt(String value) { return new ConversationTurn(GPT, value); }

    public boolean isHuman() { return HUMAN.equals(from); }
}
