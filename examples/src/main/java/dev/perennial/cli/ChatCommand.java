/*
 * `perennial chat --model DIR --image FILE "question"`: one answer about one image with the vicuna_v1 template
 * (or --template), greedy unless --temperature is given. The tokenizer is read from the model folder
 * (tokenizer.json or tokenizer.model) unless --tokenizer names another. Works on either checkpoint dialect.
 * --max-new-tokens larger than the room the model's context leaves after the prompt is lowered to that room, with
 * a one-line note on stderr (the answer would stop there anyway).
 */
package dev.perennial.cli;

import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true, description = "Answer a question about an image.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AdapterOption adapterOption;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
    Path tokenizer;

    @Option(names = "--image", required = true, description = "JPEG or PNG image.")
    Path image;

    @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template: vicuna_v1, llava_v1, plain.")
    String template;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Upper bound on answer tokens (default 256).")
    int maxNewTokens;

    @Parameters(paramLabel = "QUESTION", description = "The question.")
    String question;

    @Override
    public Integer call() throws Exception {
        ConversationTemplate tpl = ConversationTemplate.named(template);
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : modelOptions.model());
        try (LlavaModel m = adapterOption.apply(modelOptions.load())) {
            LlavaChat chat = new LlavaChat(m, tok, LlavaChat.processorFor(modelOptions.model(), m), tpl, modelOptions.backend());
            int room = chat.answerRoom(question);
            int limit = maxNewTokens;
            if (limit > room) {
                spec.commandLine().getErr().println("note: --max-new-tokens " + maxNewTokens + " lowered to " + room
                        + ": the model's context (max_position_embeddings " + m.config().text().maxPositions()
                        + ") has room for " + room + " answer tokens after this prompt and image");
                spec.commandLine().getErr().flush();
                limit = room;
            }
            spec.commandLine().getOut().println(chat.answer(image, question, sampling.config(limit, tok.eosId())));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
