/*
 * A LlavaSample -> a TrainingExample, as LLaVA's LazySupervisedDataset.__getitem__ and its collator do it:
 *   1. a sample with an image: ImagePlacement.llavaOrder (preprocess_multimodal); text-only samples as they are;
 *   2. ids and labels from ConversationTemplate.trainingTokens with the model's image token id (preprocess_v1 or
 *      preprocess_plain, including LLaVA's quirks, see there);
 *   3. truncation to maxLength positions (model_max_length, 2048 for LLaVA-1.5), counting the image token as ONE
 *      position — what DataCollatorForSupervisedDataset cuts (input_ids[:, :model_max_length]). The image later
 *      expands to its features (576 for LLaVA-1.5), and LLaVA cuts the expanded sequence again to
 *      tokenizer_model_max_length inside the model (llava_arch.py prepare_inputs_labels_for_multimodal); that
 *      second cut is the model's job, not this class's;
 *   4. the image through the ImageStore. A missing or corrupt image skips the sample (LLaVA would crash on it): the
 *      result is empty, a warning names the sample and the file, and skippedCount() counts it (the store counts the
 *      reason). A path outside the image root is ImagePathException, thrown.
 * Samples with more than one image are refused (IllegalArgumentException): LLaVA-1.5 trains one image per sample
 * and a faithful multi-image layout is a different model input. A conversation that ConversationTemplate rejects
 * (turns not alternating) is an IllegalArgumentException naming the sample. Thread-safe if the tokenizer is.
 *
 * requireTrainable() is the check every training entry point (`perennial train` and `prompt-train`, the lifelong
 * strategies) runs on its encoded examples: when not one supervised token is left, it stops with the count of
 * samples lost and why (cut by the length limit before their first response token, no response at all, image not
 * loadable) instead of letting the run save an untrained adapter (issue 20, item 4).
 */
package dev.perennial.data;

import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.LabeledTokens;
import dev.perennial.text.Tokenizer;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns a {@code LlavaSample} into a {@code TrainingExample} as LLaVA's dataset and collator do: token ids and labels
 * (non-response positions ignored) from the conversation template, truncated to {@code maxLength} positions (2048 by
 * default, the image marker counting as one), and the image as float32 pixels {@code [3, S, S]} from the
 * {@link ImageStore}; a sample whose image cannot be loaded is skipped and counted.
 * <p>Thread-safe: every field is final, the tokenizer and template are immutable, the image store is thread-safe, and
 * the skipped and truncated counters are {@code LongAdder}s.
 */
public final class SampleEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(SampleEncoder.class);
    /** LLaVA-1.5's --model_max_length. */
    public static final int DEFAULT_MAX_LENGTH = 2048;

    private final Tokenizer tokenizer;
    private final ConversationTemplate template;
    private final int imageTokenId;
    private final ImageStore images;
    private final int maxLength;
    private final LongAdder skipped = new LongAdder(), truncated = new LongAdder();

    /**
     * An encoder with the model's image token id (-200 for original LLaVA checkpoints, the "<image>" id for
     * llava-hf); images may be null for a text-only dataset.
     */
    public SampleEncoder(Tokenizer tokenizer, ConversationTemplate template, int imageTokenId, ImageStore images, int maxLength) {
        if (maxLength < 1) throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        this.tokenizer = tokenizer;
        this.template = template;
        this.imageTokenId = imageTokenId;
        this.images = images;
        this.maxLength = maxLength;
    }

    /** The example for sample, or empty when its image cannot be loaded (counted and logged). */
    public Optional<TrainingExample> encode(LlavaSample sample) throws ImagePathException {
        if (sample.images().size() > 1) {
            throw new IllegalArgumentException(sample.describe() + " has " + sample.images().size() + " images; one per sample is supported");
        }
        if (sample.hasImage() && images == null) throw new IllegalArgumentException(sample.describe() + " has an image but there is no image store");
        List<ConversationTurn> turns = sample.hasImage() ? ImagePlacement.llavaOrder(sample.conversations()) : sample.conversations();
        LabeledTokens tokens;
        try {
            tokens = template.trainingTokens(tokenizer, turns, imageTokenId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sample.describe() + ": " + e.getMessage(), e);
        }
        int n = tokens.inputIds().length;
        if (n > maxLength) truncated.increment();
        long[] ids = widen(tokens.inputIds(), maxLength), labels = widen(tokens.labels(), maxLength);
        Tensor pixels = null;
        boolean markerKept = Arrays.stream(ids).anyMatch(id -> id == imageTokenId);
        if (sample.hasImage() && !markerKept) {
            // truncation cut the image placeholder away: the image has no place in the sequence any more
            LOG.warn("{}: truncated to {} tokens before its image placeholder; trained without the image", sample.describe(), maxLength);
        }
        if (sample.hasImage() && markerKept) {
            ImageLoad load = images.load(sample.images().get(0));
            if (load instanceof ImageLoad.Failed failed) {
                skipped.increment();
                LOG.warn("{} skipped: {}", sample.describe(), failed.error().getMessage());
                return Optional.empty();
            }
            pixels = ((ImageLoad.Loaded) load).pixels();
        }
        return Optional.of(new TrainingExample(sample.index(), sample.id(), ids, labels, pixels));
    }

    private static long[] widen(int[] values, int maxLength) {
        return Arrays.stream(values).limit(maxLength).asLongStream().toArray();
    }

    /** Samples skipped because their image could not be loaded. */
    public long skippedCount() { return skipped.sum(); }

    /** Samples cut to maxLength. */
    public long truncatedCount() { return truncated.sum(); }

    /** The length limit in positions (the image marker counting as one). */
    public int maxLength() { return maxLength; }

    /**
     * Stops a run that would train on nothing. When none of {@code examples} keeps a supervised (response) token, an
     * IllegalArgumentException says how many of the {@code total} samples were lost and why, e.g. "all 40 samples
     * exceed --max-length 256 tokens before their first response token; nothing to train".
     * @param examples   the encoded examples (a sample whose image could not be loaded has none)
     * @param total      samples that were encoded
     * @param maxLength  the limit they were truncated to
     * @param lengthName how the user sets the limit ("--max-length", "max_length"), for the message
     */
    public static void requireTrainable(List<TrainingExample> examples, int total, int maxLength, String lengthName) {
        int cut = 0, noResponse = 0;
        for (TrainingExample e : examples) {
            if (supervised(e)) return;
            if (e.length() >= maxLength) cut++; else noResponse++;
        }
        int skipped = Math.max(0, total - examples.size());
        String limit = lengthName + " " + maxLength + " tokens before their first response token";
        String why;
        if (total == 0) why = "there are no samples";
        else if (cut == total) why = (total == 1 ? "the only sample exceeds " : "all " + total + " samples exceed ") + limit;
        else if (noResponse == total) why = (total == 1 ? "the only sample has" : "all " + total + " samples have") + " no response to learn";
        else if (skipped == total) why = (total == 1 ? "the only sample was" : "all " + total + " samples were") + " skipped (image could not be loaded)";
        else {
            List<String> parts = new java.util.ArrayList<>();
            if (cut > 0) parts.add(cut + " exceed " + limit);
            if (noResponse > 0) parts.add(noResponse + " have no response to learn");
            if (skipped > 0) parts.add(skipped + " were skipped (image could not be loaded)");
            why = "none of the " + total + " samples is usable: " + String.join(", ", parts);
        }
        throw new IllegalArgumentException(why + "; nothing to train");
    }

    private static boolean supervised(TrainingExample e) {
        for (long l : e.labels()) if (l != LabeledTokens.IGNORE_INDEX) return true;
        return false;
    }
}
