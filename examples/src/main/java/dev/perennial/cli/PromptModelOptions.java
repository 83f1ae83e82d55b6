/*
 * What prompt-train and prompt-eval share (a picocli mixin): the LLaVA checkpoint and backend (ModelOptions), the CLIP
 * checkpoint that gives the queries, the tokenizer and template, the image folder, and the loading of both models
 * and of the image stores (LLaVA's preprocessing and CLIP's own, at its input size).
 */
package dev.perennial.cli;

import dev.perennial.clip.ClipModel;
import dev.perennial.data.ImageStore;
import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.prompt.ClipQueries;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class PromptModelOptions {
    @Mixin
    ModelOptions model;

    @Option(names = "--clip", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
            description = "CLIP checkpoint folder for the queries (config.json, model.safetensors, vocab.json, merges.txt), or a Hugging Face id in the local cache, e.g. openai/clip-vit-large-patch14-336.")
    String clipArgument;

    /** The CLIP folder --clip names. */
    Path clip() {
        return ModelArgument.resolve(clipArgument);
    }

    @Option(names = "--images", description = "Folder the samples' image paths are relative to (required when samples have images).")
    Path images;

    @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
    Path tokenizer;

    @Option(names = "--max-length", defaultValue = "2048", description = "Token limit per sample (default 2048).")
    int maxLength;

    Tokenizer loadTokenizer() throws IOException {
        return Tokenizer.load(tokenizer != null ? tokenizer : model.model());
    }

    ClipQueries queries(ClipModel clipModel, ClipQueries.TextQuery mode) throws IOException {
        return new ClipQueries(clipModel, ClipTokenizer.load(clip()), mode);
    }

    /** LLaVA's image store, or null without --images. */
    ImageStore llavaImages(LlavaModel m) throws IOException {
        return images == null ? null : new ImageStore(images, LlavaChat.processorFor(model.model(), m), m.config().padImageToSquare());
    }

    /** CLIP's image store (its preprocessor_config.json if any, at its input size, padded to square), or null. */
    ImageStore clipImages(ClipQueries q) throws IOException {
        return images == null ? null : q.imageStore(clip(), images);
    }
}
