/* The .npy model inputs shared by forward and generate (a picocli mixin); read by NpyInputs. */
package dev.perennial.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

final class NpyInputOptions {
    @Option(names = "--input-ids", required = true, description = "int64 ids [B, T] or [T] with image markers.")
    Path inputIds;

    @Option(names = "--attention-mask", description = "[B, T] mask; positions with 0 are dropped.")
    Path attentionMask;

    @Option(names = "--pixel-values", description = "float32 [N, 3, S, S], one image per marker.")
    Path pixelValues;
}
