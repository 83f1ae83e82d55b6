/*
 * README's CLIP snippet as compiled code: ModalPrompt's text and image queries from a Hugging Face CLIP folder.
 * ReadmeSnippetsTest checks README's block against the marked text and runs it on a tiny CLIP model.
 */
package dev.perennial.examples;

import dev.perennial.clip.ClipModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public final class ClipQueriesExample {
    private ClipQueriesExample() {}

    /** Prints the shapes of the text query [1, D] of one question and the image queries [N, P] of {@code pixels} [N, 3, S, S]. */
    public static void run(Path clipDir, Tensor pixels, Backend be) throws IOException {
        // README:clip
        ClipTokenizer tok = ClipTokenizer.load(clipDir);                                       // vocab.json + merges.txt
        ClipTokenizer.Batch batch = tok.encodeBatch(List.of("What is the color of the cube?"));  // padded, <= 77 ids
        try (ClipModel clip = ClipModel.load(clipDir)) {
            Tensor u = clip.encodeText(be, batch.inputIds(), batch.attentionMask()).pooledOutput();   // [B, D] text query
            Tensor v = clip.encodeImage(be, pixels).imageEmbeds();                                     // [N, P] image query
            System.out.println("text query " + Arrays.toString(u.shape()) + ", image query " + Arrays.toString(v.shape()));
        }
        // README:end
    }
}
