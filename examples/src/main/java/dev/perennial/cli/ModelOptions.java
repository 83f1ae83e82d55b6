/*
 * The options every LLaVA-running subcommand shares (a picocli mixin): which checkpoint, and where an original
 * LLaVA checkpoint's CLIP tower lives when its mm_vision_tower is not a local folder, and which backend runs it.
 * Both take a local folder or a Hugging Face model id found in the local cache (ModelArgument, HuggingFaceCache),
 * resolved when the command runs, so a missing id is the command's one-line error.
 */
package dev.perennial.cli;

import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
            description = "Checkpoint folder (llava-hf or original LLaVA), or a Hugging Face model id in the local cache (never downloaded).")
    String modelArgument;

    @Option(names = "--vision-tower", paramLabel = "DIR|ORG/NAME[@REV]",
            description = "CLIP folder (or cached Hugging Face id) for an original checkpoint whose mm_vision_tower is not local.")
    String visionTowerArgument;

    /** The checkpoint folder --model names. */
    Path model() {
        return ModelArgument.resolve(modelArgument);
    }

    /** The CLIP folder --vision-tower names, or null. */
    Path visionTower() {
        return visionTowerArgument == null ? null : ModelArgument.resolve(visionTowerArgument);
    }

    @Mixin
    BackendOption backendOption;

    Backend backend() {
        return backendOption.backend();
    }

    LlavaModel load() throws IOException {
        return LlavaModel.load(model(), visionTower());
    }
}
