/*
 * One sample ready for the model: input ids and labels (IGNORE_INDEX -100 where not supervised) as int64, the way
 * LLaVA's collator hands them over, the image token kept as one id (the model expands it to the image features),
 * and the preprocessed image, float32 [3, S, S], or null for a text-only sample (LLaVA substitutes a zero image
 * there, which the model never looks at because there is no image token). sampleIndex/sampleId name the source
 * sample (LlavaSample.index/id) for messages and per-sample scores.
 */
package dev.perennial.data;

import dev.perennial.tensor.Tensor;

/**
 * One sample ready for the model: int64 input ids and labels of equal length {@code [T]} (-100 where not supervised;
 * the image token counts as one position), float32 pixels {@code [3, S, S]} or null for a text-only sample, and the
 * source sample's index and id.
 * <p>A value carrier; its arrays and pixel tensor are not copied: do not modify them while another thread reads.
 */
public record TrainingExample(int sampleIndex, String sampleId, long[] inputIds, long[] labels, Tensor pixels) {

    public TrainingExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(inputIds.length + " input ids but " + labels.length + " labels");
        }
    }

    /** Number of token positions (the image token counting as one). */
    public int length() { return inputIds.length; }
}
