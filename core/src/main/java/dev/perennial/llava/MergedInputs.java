/*
 * A batch of LLaVA inputs after image features are spliced in (docs/methods/llava-numerics.md "code path"): each image
 * marker in a sample's ids is replaced by that image's F projected features (labels there are ignored), rows
 * are padded to the longest merged length, and every real token gets position = its index among the row's real
 * tokens, so a padded row computes exactly what it would alone.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Tensor;

/**
 * The decoder's inputs after image features and prompt insertions are spliced in: embeddings {@code [B, T, D]},
 * positions, validity, labels and lengths.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 *
 * @param embeds    [B, T, D] decoder input embeddings (zeros at padding)
 * @param positions [B, T] I64 position ids (0 at padding)
 * @param valid     [B][T] false at padding
 * @param labels    [B, T] I64 labels aligned to the merged sequence (ignore index at images and padding), or null
 * @param lengths   real (unpadded) merged length per row
 * @param leftPadded true when padding sits before the tokens (generation), false when after (training)
 */
public record MergedInputs(Tensor embeds, Tensor positions, boolean[][] valid, Tensor labels, int[] lengths,
                           boolean leftPadded) {
    public int batch() { return embeds.size(0); }
    public int length() { return embeds.size(1); }
}
