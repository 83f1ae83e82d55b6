/*
 * The weights a LoRA run trains besides the adapters, saved beside them: LLaVA's recipe trains the multimodal
 * projector at its own learning rate (docs/methods/adapt-inf.md §1.3) and LLaVA saves it as non_lora_trainables.bin
 * next to the PEFT adapter, under the PEFT model's parameter names ("base_model.model." + the checkpoint's name, e.g.
 * base_model.model.model.mm_projector.0.weight for an original LLaVA checkpoint). Perennial writes the same names to
 * non_lora_trainables.safetensors (float32; PEFT ignores the file) and reads them back strictly: every tensor must be a
 * projector weight or bias of the model, with its shape, and every projector tensor must be there.
 */
package dev.perennial.train;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trained projector saved beside a LoRA adapter ({@code non_lora_trainables.safetensors}, float32, LLaVA's names):
 * {@code save} writes the model's projector weights and biases, {@code load} makes the projector trainable (writable
 * float32 copies) and fills it from the file, refusing a file that does not fit the model.
 * <p>Stateless: its static methods are safe to call from several threads, but {@code load} changes the model's
 * projector, which no other thread may use meanwhile.
 */
public final class NonLoraTrainables {
    private NonLoraTrainables() {}

    /** The file name, in the adapter folder. */
    public static final String FILE = "non_lora_trainables.safetensors";

    private static String fileName(LlavaModel m, String hfName) {
        return "base_model.model." + m.checkpointName(hfName);
    }

    /** Writes the projector's weights and biases into {@code adapterDir}/{@value #FILE} (atomically). */
    public static void save(Path adapterDir, LlavaModel m) throws IOException {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (var e : m.projector().parameters().entrySet()) byName.put(fileName(m, e.getKey()), e.getValue().to(DType.F32));
        Files.createDirectories(adapterDir);
        SafetensorsWriter.write(adapterDir.resolve(FILE), byName, Map.of("format", "pt"));
    }

    /** True when {@code adapterDir} holds a saved projector. */
    public static boolean present(Path adapterDir) {
        return Files.isRegularFile(adapterDir.resolve(FILE));
    }

    /**
     * Makes the projector trainable (Projector.makeTrainable on {@code be}) and copies the saved values into it; returns
     * its tensors by llava-hf name. A missing, unexpected or mis-shaped tensor is an IOException listing each.
     */
    public static Map<String, Tensor> load(Path adapterDir, LlavaModel m, Backend be) throws IOException {
        Map<String, Tensor> params = m.projector().makeTrainable(be);
        List<String> problems = new ArrayList<>();
        try (TensorSource src = TensorSource.open(adapterDir.resolve(FILE))) {
            List<String> unused = new ArrayList<>(src.names());
            for (var e : params.entrySet()) {
                String n = fileName(m, e.getKey());
                if (!src.contains(n)) {
                    problems.add("missing " + n);
                    continue;
                }
                unused.remove(n);
                Tensor saved = src.tensor(n);
                if (!Arrays.equals(saved.shape(), e.getValue().shape())) {
                    problems.add(n + ": " + Arrays.toString(saved.shape()) + " instead of " + Arrays.toString(e.getValue().shape()));
                    continue;
                }
                e.getValue().copyFrom(saved);
            }
            for (String n : unused) problems.add("unexpected " + n);
        }
        if (!problems.isEmpty()) throw new IOException(adapterDir.resolve(FILE) + ": does not fit the model's projector: " + String.join("; ", problems));
        return params;
    }
}
