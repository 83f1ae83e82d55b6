/*
 * `perennial inspect PATH`: lists the tensors of a checkpoint (a .safetensors file, a shard index, or a
 * checkpoint folder; see TensorSource.open) with dtype and shape, then the totals, e.g.
 *
 *   NAME                            DTYPE  SHAPE      PARAMS
 *   language_model.lm_head.weight   F32    [320, 64]  20,480
 *   ...
 *   64 tensors, 127,018 parameters
 *
 * Only headers are read, so this is instant even for multi-GB checkpoints.
 */
package dev.perennial.cli;

import dev.perennial.io.TensorInfo;
import dev.perennial.io.TensorSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a checkpoint (.safetensors file, shard index or folder).")
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a *.safetensors.index.json, or a folder.")
    Path path;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TensorSource source = TensorSource.open(path)) {
            int nameWidth = "NAME".length(), shapeWidth = "SHAPE".length();
            for (String name : source.names()) {
                nameWidth = Math.max(nameWidth, name.length());
                shapeWidth = Math.max(shapeWidth, Arrays.toString(source.info(name).shape()).length());
            }
            String row = "%-" + nameWidth + "s  %-5s  %-" + shapeWidth + "s  %s%n";
            if (!source.metadata().isEmpty()) out.println("metadata: " + source.metadata());
            out.printf(Locale.ROOT, row, "NAME", "DTYPE", "SHAPE", "PARAMS");
            for (String name : source.names()) {
                TensorInfo t = source.info(name);
                out.printf(Locale.ROOT, row, name, t.dtype(), Arrays.toString(t.shape()), count(t.numel()));
            }
            out.printf(Locale.ROOT, "%s tensors, %s parameters%n", count(source.names().size()),
                    count(source.parameterCount()));
        }
        out.flush();
        return 0;
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
