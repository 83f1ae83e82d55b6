/*
 * `perennial chat --model DIR --image FILE "question"`: one answer about one image with the vicuna_v1 template
 * (or --template), greedy unless --temperature is given. The tokenizer is read from the model folder
 * (tokenizer.json or tokenizer.model) unless --tokenizer names another. Works on either checkpoint dialect.
 */
package dev.perennial.cli;

import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Command;
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

    @Option(names = "--model", required = true, description = "Checkpoint folder (llava-hf or original LLaVA).")
    Path model;

    @Option(names = "--vision-tower", description = "CLIP folder for an original checkpoint whose mm_vision_tower is not local.")
    Path visionTower;

    @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
    Path tokenizer;

    @Option(names = "--image", required = true, description = "JPEG or PNG image.")
    Path image;

    @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template: vicuna_v1, llava_v1, plain.")
    String template;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Upper bound on answer tokens (default 256).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); > 0 samples.")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus mass when sampling (default 1).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default 0).")
    long seed;

    @Parameters(paramLabel = "QUESTION", description = "The question.")
    String question;

    @Override
    public Integer call() throws Exception {
        ConversationTemplate tpl = ConversationTemplate.named(template);
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : model);
        try (LlavaModel m = LlavaModel.load(model, visionTower)) {
            GenerationConfig cfg = GenerationConfig.greedy(maxNewTokens, tok.eosId());
            if (temperature > 0) cfg = cfg.withSampling(temperature, topP, seed);
            LlavaChat chat = new LlavaChat(m, tok, LlavaChat.processorFor(model, m), tpl, new CpuBackend());
            spec.commandLine().getOut().println(chat.answer(image, question, cfg));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
