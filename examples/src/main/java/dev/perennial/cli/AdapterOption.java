/*
 * The --adapter option of the inference commands (forward, generate, chat, bench): a PEFT LoRA adapter to apply, and the
 * projector trained beside it when the folder has one (non_lora_trainables.safetensors, `train --train-projector`).
 */
package dev.perennial.cli;

import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.train.NonLoraTrainables;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

final class AdapterOption {
    @Option(names = "--adapter", description = "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) "
            + "to apply to the model, as `perennial train` or PEFT writes one (either checkpoint layout); a projector saved "
            + "beside it (non_lora_trainables.safetensors) replaces the model's.")
    Path adapter;

    /** Loads the adapter (and a projector saved beside it, as float32 host tensors) onto {@code m} when one was given; returns m. */
    LlavaModel apply(LlavaModel m) throws IOException {
        if (adapter == null) return m;
        Lora.load(adapter, m.linears(), 0);
        if (NonLoraTrainables.present(adapter)) NonLoraTrainables.load(adapter, m, new CpuBackend());
        return m;
    }
}
