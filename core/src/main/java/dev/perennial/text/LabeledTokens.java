/*
 * A tokenized training conversation: input ids and, position by position, the label the loss is computed
 * against (llava/train/train.py preprocess_v1 / preprocess_plain: the input id itself where the position is
 * supervised, IGNORE_INDEX elsewhere). The image token stays one id here (-200 or the <image> id); the model
 * expands it to the image features, whose labels are IGNORE_INDEX too (docs/methods/llava-numerics.md, "The tiny model").
 */
package dev.perennial.text;

/**
 * A tokenized training conversation: input ids {@code [T]} and, per position, the label {@code [T]} the loss is
 * computed against (the input id where the position is supervised, {@link #IGNORE_INDEX} elsewhere).
 * <p>A value carrier; its arrays are not copied: do not modify them while another thread reads them.
 */
public record LabeledTokens(int[] inputIds, int[] labels) {
    /** Label of a position that is not supervised (IGNORE_INDEX in LLaVA, ignore_index of the loss). */
    public static final int IGNORE_INDEX = -100;

    public LabeledTokens {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(inputIds.length + " input ids but " + labels.length + " labels");
        }
    }

    /** Number of supervised positions. */
    public int supervisedCount() {
        int n = 0;
        for (int label : labels) if (label != IGNORE_INDEX) n++;
        return n;
    }
}
