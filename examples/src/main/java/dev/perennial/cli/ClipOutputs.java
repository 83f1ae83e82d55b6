/*
 * How encode-text and encode-image write their results: one float32 NAME.npy per output in the --out folder,
 * then one line on stdout naming each with its shape, e.g. "pooler_output [3, 32], text_embeds [3, 24] -> out".
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

final class ClipOutputs {
    private ClipOutputs() {}

    static void write(Path dir, Map<String, Tensor> outputs, PrintWriter out) throws IOException {
        Files.createDirectories(dir);
        List<String> written = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
            Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
            written.add(e.getKey() + " " + Arrays.toString(e.getValue().shape()));
        }
        out.println(String.join(", ", written) + " -> " + dir);
        out.flush();
    }
}
