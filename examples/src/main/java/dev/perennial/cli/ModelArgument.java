/*
 * What a --model (or --vision-tower, --clip) argument names: a local folder, or a Hugging Face model id
 * ("llava-hf/llava-1.5-7b-hf", "org/name@revision") looked up in the local hub cache by core's HuggingFaceCache,
 * never downloaded. Resolved when a command runs, not while picocli parses, so that a missing id goes through the
 * one-line error path (FailureReporter) like a missing folder, with the cache folders searched named.
 */
package dev.perennial.cli;

import dev.perennial.io.HuggingFaceCache;

import java.io.IOException;
import java.nio.file.Path;

final class ModelArgument {
    private ModelArgument() {}

    /** The folder {@code argument} names (a local path first, else a cached Hugging Face id). */
    static Path resolve(String argument) {
        try {
            return HuggingFaceCache.resolve(argument);
        } catch (IOException e) {
            throw new IllegalArgumentException(FailureReporter.describe(e), e);
        }
    }
}
