/*
 * `perennial forward`: one forward pass of a LLaVA checkpoint (either dialect) on ids/pixels/labels given as
 * .npy files, writing logits.npy (float32 [B, merged length, vocab], right-padded) and, with labels,
 * loss.json ({"loss": mean CE over supervised tokens, "tokens": their count}); with --backward also
 * grads.safetensors (d mean loss / d every weight that gets a gradient, named as in the loaded checkpoint) and
 * grad_inputs_embeds.npy (d mean loss / d the LM input embeddings). Meant for checking the Java model against
 * Python on the same inputs.
 */
package dev.perennial.cli;

import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run one forward pass and write logits.npy (and loss.json with --labels).")
final class ForwardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AdapterOption adapterOption;

    @Mixin
    NpyInputOptions inputs;

    @Option(names = "--labels", description = "int64 labels [B, T] (-100 = ignored).")
    Path labels;

    @Option(names = "--backward", description = "Also write grads.safetensors (d mean loss / d every weight, checkpoint names) "
            + "and grad_inputs_embeds.npy; needs --labels.")
    boolean backward;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<long[]> ids = NpyInputs.rows(inputs.inputIds, inputs.attentionMask);
        List<long[]> lab = labels == null ? null : NpyInputs.rows(labels, inputs.attentionMask);
        if (backward && lab == null) throw new IllegalArgumentException("--backward needs --labels");
        try (LlavaModel m = adapterOption.apply(modelOptions.load())) {
            Tape tape = new Tape();
            Backend base = modelOptions.backend();
            Backend be = backward ? new GradBackend(base, tape) : base;
            if (backward) m.weights().values().forEach(tape::watch);
            LlavaModel.Output o = m.forward(be, ids, NpyInputs.pixels(inputs.pixelValues), lab);
            Files.createDirectories(out);
            if (backward) writeGradients(m, o, tape);
            Npy.write(out.resolve("logits.npy"), o.logits());
            if (lab != null) {
                String json = String.format(Locale.ROOT, "{\"loss\": %s, \"tokens\": %d}%n",
                        Double.isNaN(o.loss()) ? "null" : Double.toString(o.loss()), o.supervisedTokens());
                AtomicFiles.write(out.resolve("loss.json"), ch -> ch.write(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8))));
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "logits %s -> %s%s%n", java.util.Arrays.toString(o.logits().shape()),
                    out.resolve("logits.npy"), lab == null ? "" : String.format(Locale.ROOT, ", loss %.9f", o.loss()));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private void writeGradients(LlavaModel m, LlavaModel.Output o, Tape tape) throws java.io.IOException {
        if (o.lossTensor() == null) throw new IllegalArgumentException("no supervised token: nothing to differentiate");
        tape.keep(o.logits());                                  // written after backward, which frees the rest
        tape.keep(o.inputs().embeds());
        Gradients grads = tape.backward(o.lossTensor());
        Map<String, Tensor> byName = new LinkedHashMap<>();
        m.weights().forEach((name, w) -> {
            Tensor g = grads.of(w);
            if (g != null) byName.put(m.checkpointName(name), g.contiguous());
        });
        SafetensorsWriter.write(out.resolve("grads.safetensors"), byName, Map.of("format", "pt"));
        Npy.write(out.resolve("grad_inputs_embeds.npy"), grads.of(o.inputs().embeds()).contiguous());
    }
}
