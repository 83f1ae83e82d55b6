/*
 * The options every LLaVA-running subcommand shares (a picocli mixin): which checkpoint, and where an original
 * LLaVA checkpoint's CLIP tower lives when its mm_vision_tower is not a local folder, and which backend runs it.
 */
package dev.perennial.cli;

import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

final class ModelOptions {
    @Option(names = "--model", required = true, description = "Checkpoint folder (llava-hf or original LLaVA).")
    Path model;

    @Option(names = "--vision-tower", description = "CLIP folder for an original checkpoint whose mm_vision_tower is not local.")
    Path visionTower;

    @Mixin
    BackendOption backendOption;

    Backend backend() {
        return backendOption.backend();
    }

    LlavaModel load() throws IOException {
        return LlavaModel.load(model, visionTower);
    }
}
