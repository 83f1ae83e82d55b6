/*
 * `perennial synth --shape NAME --dtype f32|bf16|f16 [--seed S] [--max-shard-size BYTES] --out DIR`: writes a
 * deterministic random-weight llava-hf checkpoint of a named shape (tiny, bench-221m, llava-1.5-7b, llava-1.5-13b)
 * so that large-model paths can be run and measured on machines that cannot download a real checkpoint. The
 * weights are streamed into Hugging Face shards (never the whole model in memory) and scaled so activations stay
 * O(1) (bench-data's SyntheticWeights, ModelShape). The output folder must be new or empty unless --overwrite.
 */
package dev.perennial.cli;

import dev.perennial.benchdata.ModelShape;
import dev.perennial.benchdata.SyntheticWeights;
import dev.perennial.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a deterministic random-weight llava-hf checkpoint of a named shape (sharded safetensors, streamed).")
final class SynthCommand implements Callable<Integer> {
    enum Precision { f32, bf16, f16 }

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, description = "tiny, bench-221m, llava-1.5-7b or llava-1.5-13b.")
    String shape;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weight precision: f32, bf16 or f16 (default ${DEFAULT-VALUE}).")
    Precision dtype;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights (default ${DEFAULT-VALUE}); the same seed gives the same bytes.")
    long seed;

    @Option(names = "--max-shard-size", defaultValue = "5000000000",
            description = "Largest shard in bytes (default ${DEFAULT-VALUE}, transformers' 5GB); several shards get an index file.")
    long maxShardBytes;

    @Option(names = "--out", required = true, description = "Output folder (created; must be empty unless --overwrite).")
    Path out;

    @Option(names = "--overwrite", description = "Write into a folder that already holds files (a checkpoint there is replaced).")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        ModelShape s = ModelShape.byName(shape);
        if (maxShardBytes < 1) throw new IllegalArgumentException("--max-shard-size must be positive, got " + maxShardBytes);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException(out + " is a file, not a folder");
        if (Files.isDirectory(out) && !overwrite) {
            try (Stream<Path> files = Files.list(out)) {
                if (files.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + " is not empty: choose a new folder or pass --overwrite");
                }
            }
        }
        DType d = switch (dtype) {
            case f32 -> DType.F32;
            case bf16 -> DType.BF16;
            case f16 -> DType.F16;
        };
        long params = s.parameterCount();
        if (out.toAbsolutePath().getParent() != null) {
            long free = Files.getFileStore(out.toAbsolutePath().getParent()).getUsableSpace();
            long need = params * d.byteSize();
            if (free < need) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs %.1f GB but %s has %.1f GB free",
                        shape, need / 1e9, out.toAbsolutePath().getParent(), free / 1e9));
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "%s: %,d parameters, %s, %.2f GB -> %s%n", shape, params, dtype, params * (double) d.byteSize() / 1e9, out);
        o.flush();
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        SyntheticWeights.write(out, s, d, seed, maxShardBytes, line -> {
            o.println(line);
            o.flush();
        });
        o.printf(Locale.ROOT, "done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        o.flush();
        return 0;
    }
}
