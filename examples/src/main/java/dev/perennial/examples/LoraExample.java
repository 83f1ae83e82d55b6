/*
 * README's training snippet as compiled code: LoRA adapters on a model, trained on LLaVA-JSON conversations and
 * saved in PEFT's layout. ReadmeSnippetsTest checks README's block against the marked text and runs it.
 */
package dev.perennial.examples;

import dev.perennial.data.ImageStore;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public final class LoraExample {
    private LoraExample() {}

    /** Trains LoRA on {@code json} (images under {@code images}) and writes the adapter to {@code out}/adapter. */
    public static Trainer.Result run(Path dir, Path json, Path images, Path out, Backend be, long seed) throws IOException {
        try (LlavaModel model = LlavaModel.load(dir)) {
            // README:lora
            SampleEncoder encoder = new SampleEncoder(Tokenizer.load(dir), ConversationTemplate.VICUNA_V1,
                    model.config().imageTokenIndex(), new ImageStore(images, LlavaChat.processorFor(dir, model),
                    model.config().padImageToSquare()), 2048);
            List<TrainingExample> examples = new ArrayList<>();
            try (LlavaJsonReader reader = LlavaJsonReader.open(json, InvalidSamples.SKIP)) {
                for (LlavaSample s; (s = reader.read()) != null; ) encoder.encode(s).ifPresent(examples::add);
            }
            LoraConfig lora = LoraConfig.llm(8, 16, 0.05f);
            Map<String, LoraAdapter> adapters = Lora.attach(model.linears(), lora, seed, be);
            Trainer trainer = new Trainer(model, be, Lora.parameters(adapters), null, adapters.values(), TrainConfig.defaults());
            Trainer.Result result = trainer.train(examples, out.resolve("checkpoints"), /* resume */ true, null);
            Lora.save(out.resolve("adapter"), adapters, lora);                          // PEFT's layout
            // README:end
            return result;
        }
    }
}
