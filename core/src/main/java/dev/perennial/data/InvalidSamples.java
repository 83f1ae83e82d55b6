/*
 * What a reader does with a sample that is well-formed JSON but not a usable LLaVA sample: no "conversations"
 * array, a turn whose "from" is not "human"/"gpt", a value that is not a string or is empty (after trimming),
 * an "image" that is neither a string nor a list of strings.
 *
 * LLaVA itself either crashes on such a sample deep into a run (KeyError on an unknown role) or silently trains on
 * nothing (an empty answer makes preprocess_v1's rounds not add up, so every label is ignored). Failing is the
 * default because the index pass (SampleIndex) reads every sample before training starts, so a broken file stops
 * a run in its first minute, not its tenth hour. SKIP exists for datasets one cannot fix: each skipped sample is
 * logged with its index and id and counted (skippedCount() on the reader and the index). Malformed JSON always
 * fails: a streaming parser cannot find the next sample after a syntax error.
 */
package dev.perennial.data;

/**
 * What a LLaVA reader does with a sample that is well-formed JSON but not a usable LLaVA sample (no conversations, an
 * unknown role, an empty value, a bad image field): {@code FAIL} throws a {@code LlavaDataException} naming it,
 * {@code SKIP} logs it, counts it and goes on.
 * <p>Immutable (an enum).
 */
public enum InvalidSamples {
    /** Throw a LlavaDataException naming the sample. */
    FAIL,
    /** Log a warning naming the sample, count it, and go on with the next one. */
    SKIP
}
