/* The --adapter option of the inference commands (forward, generate, chat, bench): a PEFT LoRA adapter to apply. */
package dev.perennial.cli;

import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

final class AdapterOption {
    @Option(names = "--adapter", description = "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) "
            + "to apply to the model, as `perennial train` or PEFT writes one (either checkpoint layout).")
    Path adapter;

    /** Loads the adapter onto {@code m} when one was given; returns m. */
    LlavaModel apply(LlavaModel m) throws IOException {
        if (adapter != null) Lora.load(adapter, m.linears(), 0);
        return m;
    }
}
