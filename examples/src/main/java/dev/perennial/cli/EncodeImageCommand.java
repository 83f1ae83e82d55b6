/*
 * `perennial encode-image --model DIR --pixel-values F.npy --out DIR`: the CLIP vision tower with its projection
 * (CLIPVisionModelWithProjection; ModalPrompt's image query is image_embeds, docs/methods/modalprompt.md section 4.1). Writes
 * float32 pooler_output.npy [N, Dv] (post_layernorm of the class token) and, when the checkpoint has a visual
 * projection, image_embeds.npy [N, P] (not normalised). Pixel values are float [N, 3, S, S] as `perennial
 * preprocess` writes them.
 */
package dev.perennial.cli;

import dev.perennial.clip.ClipModel;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "encode-image", mixinStandardHelpOptions = true,
        description = "Run the CLIP vision tower; write pooler_output.npy and image_embeds.npy.")
final class EncodeImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClipModelOptions clip;

    @Option(names = "--pixel-values", required = true, description = "float32 [N, 3, S, S] (CLIP-normalised).")
    Path pixelValues;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Tensor pixels = NpyInputs.pixels(pixelValues);
        try (ClipModel m = clip.load()) {
            ClipModel.ImageEmbeddings e = m.encodeImage(clip.backend(), pixels);
            Map<String, Tensor> files = new LinkedHashMap<>();
            files.put("pooler_output", e.pooledOutput());
            if (e.imageEmbeds() != null) files.put("image_embeds", e.imageEmbeds());
            ClipOutputs.write(out, files, spec.commandLine().getOut());
        }
        return 0;
    }
}
