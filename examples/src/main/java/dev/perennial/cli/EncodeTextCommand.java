/*
 * `perennial encode-text --model DIR --input-ids F.npy [--attention-mask F.npy] --out DIR`: the CLIP text tower
 * on ids from a .npy file (dev.perennial.clip; ModalPrompt's text query is pooler_output, docs/methods/modalprompt.md section
 * 4.2). Writes float32 last_hidden_state.npy [B, T, D], pooler_output.npy [B, D] and, when the checkpoint has a
 * text projection, text_embeds.npy [B, P]. Ids are int64/int32 [B, T] or [T] as the CLIP tokenizer makes them
 * (`perennial tokenize --clip`); the mask is [B, T] of 1 (token) and 0 (padding on the right).
 */
package dev.perennial.cli;

import dev.perennial.clip.ClipModel;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "encode-text", mixinStandardHelpOptions = true,
        description = "Run the CLIP text tower; write last_hidden_state.npy, pooler_output.npy and text_embeds.npy.")
final class EncodeTextCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClipModelOptions clip;

    @Option(names = "--input-ids", required = true, description = "Integer ids [B, T] or [T] (T <= 77).")
    Path inputIds;

    @Option(names = "--attention-mask", description = "Integer [B, T] or [T]: 1 = token, 0 = padding (on the right).")
    Path attentionMask;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Tensor ids = integerRows(inputIds);
        Tensor mask = attentionMask == null ? null : integerRows(attentionMask);
        try (ClipModel m = clip.load()) {
            ClipModel.TextEmbeddings e = m.encodeText(clip.backend(), ids, mask);
            Map<String, Tensor> files = new LinkedHashMap<>();
            files.put("last_hidden_state", e.lastHiddenState());
            files.put("pooler_output", e.pooledOutput());
            if (e.textEmbeds() != null) files.put("text_embeds", e.textEmbeds());
            ClipOutputs.write(out, files, spec.commandLine().getOut());
        }
        return 0;
    }

    /** An integer .npy of shape [B, T] or [T], as [B, T]. */
    private static Tensor integerRows(Path file) throws IOException {
        Tensor t = Npy.read(file);
        if (t.dtype().isFloating() || t.rank() < 1 || t.rank() > 2 || t.numel() == 0) {
            throw new IllegalArgumentException(file + ": expected integer values of shape [B, T] or [T], got " + t);
        }
        return t.rank() == 1 ? t.unsqueeze(0) : t;
    }
}
