/*
 * The outcome of loading one dataset image (ImageStore.load): the pixel values, or the decode failure. A missing
 * or corrupt image is a result, not an exception, because in a dataset of 665K samples a few bad files are
 * expected and must not end a run; ImageStore counts each failure by reason so the run can report them.
 */
package dev.perennial.data;

import dev.perennial.image.ImageDecodeException;
import dev.perennial.tensor.Tensor;

/**
 * The outcome of loading one dataset image with {@code ImageStore.load}: {@code Loaded} holds float32 pixels
 * {@code [3, S, S]}, {@code Failed} the decode error whose reason the store counts. A missing or corrupt image is a
 * result, not an exception.
 * <p>A value carrier: the records' fields are final, but the pixel tensor is shared, not copied; do not write to it
 * while another thread reads it.
 */
public sealed interface ImageLoad {

    /** float32 [3, S, S] pixel values from ClipImageProcessor. */
    record Loaded(Tensor pixels) implements ImageLoad {}

    /** Why the image could not be used (its reason() is what ImageStore counts). */
    record Failed(ImageDecodeException error) implements ImageLoad {}
}
