/* The options of the CLIP subcommands (a picocli mixin): which CLIP checkpoint, and which backend runs it. */
package dev.perennial.cli;

import dev.perennial.clip.ClipModel;
import dev.perennial.tensor.Backend;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

final class ClipModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
            description = "CLIP checkpoint folder (config.json + model.safetensors, Hugging Face names), or a Hugging Face id in the local cache.")
    String modelArgument;

    /** The checkpoint folder --model names. */
    Path model() {
        return ModelArgument.resolve(modelArgument);
    }

    @Mixin
    BackendOption backendOption;

    Backend backend() {
        return backendOption.backend();
    }

    ClipModel load() throws IOException {
        return ClipModel.load(model());
    }
}
