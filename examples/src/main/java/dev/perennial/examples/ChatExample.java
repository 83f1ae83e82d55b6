/*
 * README's "Using the core" snippet as compiled code: load a LLaVA checkpoint, chat about an image, and the lower
 * level below it (prompt ids and pixels into forward). The text between the README markers is README's code block
 * word for word (ReadmeSnippetsTest checks it and runs this on the tiny model).
 */
package dev.perennial.examples;

import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Backends;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public final class ChatExample {
    private ChatExample() {}

    /** Prints the answer about {@code photo} and the shape of the same prompt's logits, from the checkpoint in {@code dir}. */
    public static void run(Path dir, Path photo) throws IOException {
        // README:chat
        Backend be = Backends.select("auto");     // a GPU if perennial-native is present and a GPU usable, else the CPU
        try (LlavaModel model = LlavaModel.load(dir)) {                  // either dialect; weights stay memory-mapped
            LlavaChat chat = new LlavaChat(model, Tokenizer.load(dir), LlavaChat.processorFor(dir, model),
                    ConversationTemplate.VICUNA_V1, be);
            String answer = chat.answer(photo, "What is in the picture?", GenerationConfig.greedy(16, 2));

            // lower level: the prompt's ids (image marker included) and the image's pixels [3, S, S] -> logits [1, T, V]
            long[] ids = chat.promptIds("What is in the picture?");
            Tensor pixels = chat.pixels(photo);
            LlavaModel.Output out = model.forward(be, List.of(ids), pixels, null);
            System.out.println(answer + " | logits " + Arrays.toString(out.logits().shape()));
        }
        // README:end
    }
}
