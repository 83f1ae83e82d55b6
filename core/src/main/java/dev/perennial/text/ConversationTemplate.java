/*
 * LLaVA's conversation templates (llava/conversation.py) and how LLaVA turns a conversation into model input
 * (llava/train/train.py preprocess_v1 / preprocess_plain; docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing
 * and prompt facts", Conversation template):
 *   vicuna_v1 (alias v1)  SeparatorStyle.TWO, roles USER/ASSISTANT, sep " ", sep2 "</s>", system prompt "A chat
 *                         between a curious user ... the user's questions."; what LLaVA-1.5 trains and
 *                         evaluates with;
 *   llava_v1              the same with "curious human ... the human's questions.";
 *   plain                 SeparatorStyle.PLAIN, the pretraining format: no system prompt, no roles, sep "\n".
 *
 * Prompt text is conv.get_prompt(): TWO renders system + sep, then "ROLE: message" + sep (after a human
 * message) or + sep2 (after an answer); an empty message renders "ROLE:". The generation prompt is the
 * conversation followed by an open assistant turn, so it ends with "ASSISTANT:"; for plain it is the human
 * message + "\n".
 *
 * Token ids are tokenizer_image_token (ImageTokens) of that text, with one addition: the sep2 "</s>" inside the
 * text becomes the </s> id. That is what LLaVA's (legacy, slow) HF tokenizer does, since "</s>" is a special
 * token to it; and the text between two </s> gets its own dummy prefix, so the second round starts
 * "▁US", "ER", ":" like the first. Tokenizer.encode itself never reads "</s>" in text as </s> (see
 * VerbatimTokens), so user text cannot inject one outside the template.
 *
 * Training labels follow preprocess_v1 step by step (TWO): the whole conversation is tokenized; labels start as
 * a copy; position 0 (<s>) is ignored; the text is split at "</s>" into rounds and each round at
 * " ASSISTANT: " into instruction and answer; per round, round_len = |tokens(round)| with <s> (the <s> counts in
 * place of the round's closing </s>) and instruction_len = |tokens(instruction + " ASSISTANT: ")| with <s>, - 2
 * (the <s> and the "▁" that the trailing space becomes); the first instruction_len positions of the round are
 * ignored; after the last round everything is ignored; and if the rounds do not add up to the tokenized length
 * ("tokenization mismatch"), every label is ignored and a warning is logged. So exactly these are supervised:
 * each answer's tokens (starting with the piece that carries the space after "ASSISTANT:", e.g. "▁The"; when
 * an answer starts with a character that does not merge with "▁", such as a digit, the lone "▁" 29871 is
 * supervised too, as in LLaVA) and the </s> closing each answer. Everything else — <s>, system prompt, roles,
 * questions, the image token — is IGNORE_INDEX. As in LLaVA, a leading gpt turn is dropped, turns must
 * alternate human/gpt, and a conversation that does not end with an answer ends up fully ignored (mismatch).
 * Plain follows preprocess_plain: exactly two turns, the first must contain "<image>" and is replaced by it
 * alone; input = tokens("<image>" + answer + "\n"); the first |tokens("<image>")| = 2 positions (<s>, image)
 * are ignored; the answer and the final newline (<0x0A>) are supervised; there is no </s>.
 *
 * Deliberate differences from LLaVA: the legacy-tokenizer length adjustment (round_len and instruction_len
 * minus 1 after the first round when tokenizer.legacy is false and tokenizers >= 0.14) is not applied,
 * because this tokenizer always behaves legacy (every chunk gets its dummy prefix; that is also what the
 * golden llava_hf_ids show), so the unadjusted lengths are the right ones. The mismatch check runs at every
 * length (LLaVA skips it at model_max_length and beyond, where it truncates; truncation is left to the caller),
 * and counts every position (LLaVA counts positions whose id is not the pad id, <unk> in training, which
 * byte fallback never produces). Moving "<image>" to the front of the first message (preprocess_multimodal) is the
 * data package's job.
 */
package dev.perennial.text;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * LLaVA's conversation templates ({@code vicuna_v1} or {@code v1}, {@code llava_v1}, {@code plain}): they render turns
 * into prompt text, tokenize it with image token ids, and build training input ids and labels (answers and their
 * closing end-of-sequence id supervised, the rest {@link LabeledTokens#IGNORE_INDEX}) exactly as LLaVA's preprocessing
 * does.
 * <p>Immutable; safe to share between threads (final fields; its roles array is never exposed); the {@link Tokenizer}
 * passed in is itself safe to share.
 */
public final class ConversationTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(ConversationTemplate.class);

    private enum Style { TWO, PLAIN }

    public static final ConversationTemplate VICUNA_V1 = new ConversationTemplate("vicuna_v1", Style.TWO,
            "A chat between a curious user and an artificial intelligence assistant. "
                    + "The assistant gives helpful, detailed, and polite answers to the user's questions.",
            "USER", "ASSISTANT", " ", "</s>");
    public static final ConversationTemplate LLAVA_V1 = new ConversationTemplate("llava_v1", Style.TWO,
            "A chat between a curious human and an artificial intelligence assistant. "
                    + "The assistant gives helpful, detailed, and polite answers to the human's questions.",
            "USER", "ASSISTANT", " ", "</s>");
    public static final ConversationTemplate PLAIN = new ConversationTemplate("plain", Style.PLAIN,
            "", "", "", "\n", null);

    private final String name;
    private final Style style;
    private final String system;
    private final String[] roles;
    private final String sep, sep2;

    private ConversationTemplate(String name, Style style, String system, String user, String assistant, String sep, String sep2) {
        this.name = name;
        this.style = style;
        this.system = system;
        this.roles = new String[]{user, assistant};
        this.sep = sep;
        this.sep2 = sep2;
    }

    /** The template LLaVA calls name: "vicuna_v1" (or "v1"), "llava_v1" or "plain". */
    public static ConversationTemplate named(String name) {
        return switch (name) {
            case "vicuna_v1", "v1" -> VICUNA_V1;
            case "llava_v1" -> LLAVA_V1;
            case "plain" -> PLAIN;
            default -> throw new IllegalArgumentException("unknown conversation template '" + name + "' (vicuna_v1, v1, llava_v1, plain)");
        };
    }

    public String name() { return name; }

    /**
     * The prompt text for generating the next answer: turns (alternating human/gpt, ending with a human
     * turn; for plain exactly one human turn) followed by an open assistant turn ("... ASSISTANT:").
     */
    public String generationPrompt(List<ConversationTurn> turns) {
        List<ConversationTurn> checked = alternating(turns);
        if (!checked.get(checked.size() - 1).isHuman()) throw new IllegalArgumentException("the last turn must be from human to generate an answer");
        if (style == Style.PLAIN && checked.size() != 1) throw new IllegalArgumentException("the plain template takes one human turn");
        List<String> messages = new ArrayList<>();
        checked.forEach(t -> messages.add(t.value()));
        messages.add(null);
        return render(messages);
    }

    /** The ids of generationPrompt(turns), images as imageTokenId, "</s>" between rounds as the </s> id. */
    public int[] generationIds(Tokenizer tokenizer, List<ConversationTurn> turns, int imageTokenId) {
        return tokenize(tokenizer, generationPrompt(turns), imageTokenId);
    }

    /** Input ids and labels for training on a conversation (see the class comment for what is supervised). */
    public LabeledTokens trainingTokens(Tokenizer tokenizer, List<ConversationTurn> turns, int imageTokenId) {
        return style == Style.PLAIN ? plain(tokenizer, turns, imageTokenId) : v1(tokenizer, turns, imageTokenId);
    }

    private LabeledTokens v1(Tokenizer tokenizer, List<ConversationTurn> turns, int imageTokenId) {
        List<String> messages = alternating(turns).stream().map(ConversationTurn::value).toList();
        String conversation = render(messages);
        int[] ids = tokenize(tokenizer, conversation, imageTokenId);
        int[] labels = ids.clone();
        String answerSep = sep + roles[1] + ": ";
        int cur = 1;
        ignore(labels, 0, cur);
        for (String round : conversation.split(Pattern.quote(sep2), -1)) {
            if (round.isEmpty()) break;
            String[] parts = round.split(Pattern.quote(answerSep), -1);
            if (parts.length != 2) break;
            int roundLen = ImageTokens.encode(tokenizer, round, imageTokenId, true).length;
            int instructionLen = ImageTokens.encode(tokenizer, parts[0] + answerSep, imageTokenId, true).length - 2;
            ignore(labels, cur, cur + instructionLen);
            cur += roundLen;
        }
        ignore(labels, cur, labels.length);
        if (cur != ids.length) {
            LOG.warn("tokenization mismatch: {} vs. {}; the conversation is not supervised at all (as in LLaVA)", cur, ids.length);
            ignore(labels, 0, labels.length);
        }
        return new LabeledTokens(ids, labels);
    }

    private LabeledTokens plain(Tokenizer tokenizer, List<ConversationTurn> turns, int imageTokenId) {
        if (turns.size() != 2) throw new IllegalArgumentException("the plain template trains on exactly two turns, got " + turns.size());
        if (!turns.get(0).value().contains(ImageTokens.PLACEHOLDER)) {
            throw new IllegalArgumentException("the plain template's first turn must contain " + ImageTokens.PLACEHOLDER);
        }
        int[] ids = ImageTokens.encode(tokenizer, ImageTokens.PLACEHOLDER + turns.get(1).value() + sep, imageTokenId, true);
        int[] labels = ids.clone();
        ignore(labels, 0, ImageTokens.encode(tokenizer, ImageTokens.PLACEHOLDER, imageTokenId, true).length);
        return new LabeledTokens(ids, labels);
    }

    /** get_prompt(): messages alternate between the two roles; null = the open turn to be generated. */
    private String render(List<String> messages) {
        StringBuilder text = new StringBuilder(system);
        if (style == Style.TWO) text.append(sep);
        String[] seps = {sep, sep2};
        for (int i = 0; i < messages.size(); i++) {
            String message = messages.get(i);
            boolean present = message != null && !message.isEmpty();
            if (style == Style.TWO) {
                text.append(roles[i % 2]).append(present ? ": " + message + seps[i % 2] : ":");
            } else if (present) {
                text.append(message).append(seps[i % 2]);
            }
        }
        return text.toString();
    }

    /** tokenizer_image_token of text, with each sep2 ("</s>") emitted as the </s> id. */
    private int[] tokenize(Tokenizer tokenizer, String text, int imageTokenId) {
        if (sep2 == null) return ImageTokens.encode(tokenizer, text, imageTokenId, true);
        IntStream.Builder ids = IntStream.builder();
        String[] chunks = text.split(Pattern.quote(sep2), -1);
        for (int i = 0; i < chunks.length; i++) {
            if (i > 0) ids.add(tokenizer.eosId());
            for (int id : ImageTokens.encode(tokenizer, chunks[i], imageTokenId, i == 0)) ids.add(id);
        }
        return ids.build().toArray();
    }

    /** LLaVA's role check: a leading gpt turn is dropped, then turns must alternate human, gpt, human, ... */
    private static List<ConversationTurn> alternating(List<ConversationTurn> turns) {
        List<ConversationTurn> rest = !turns.isEmpty() && !turns.get(0).isHuman() ? turns.subList(1, turns.size()) : turns;
        if (rest.isEmpty()) throw new IllegalArgumentException("the conversation has no human turn");
        for (int i = 0; i < rest.size(); i++) {
            if (rest.get(i).isHuman() != (i % 2 == 0)) {
                throw new IllegalArgumentException("turns must alternate human/gpt; turn " + i + " is from " + rest.get(i).from());
            }
        }
        return rest;
    }

    private static void ignore(int[] labels, int from, int to) {
        int a = Math.min(Math.max(from, 0), labels.length), b = Math.min(Math.max(to, a), labels.length);
        Arrays.fill(labels, a, b, LabeledTokens.IGNORE_INDEX);
    }

    @Override
    public String toString() { return name; }
}
