/*
 * The model inputs of one micro-batch of training examples: id and label sequences, and the images stacked in marker
 * order ([N, 3, S, S], null when no example has one). Shared by every TrainingObjective.
 */
package dev.perennial.train;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The model inputs of one micro-batch of training examples: the int64 id and label sequences (one array per example)
 * and the images stacked in marker order, pixels {@code [N, 3, S, S]} (null when no example has one); {@code of} builds
 * it and checks the pixels are finite.
 * <p>A value carrier; its lists and arrays are not copied: do not modify them while another thread reads.
 */
public record MicroBatch(List<long[]> ids, List<long[]> labels, Tensor pixels) {
    /** The examples at positions {@code batch} of {@code examples}. */
    public static MicroBatch of(List<TrainingExample> examples, int[] batch, Backend be) {
        List<long[]> ids = new ArrayList<>(), labels = new ArrayList<>();
        List<Tensor> images = new ArrayList<>();
        for (int i : batch) {
            TrainingExample e = examples.get(i);
            ids.add(e.inputIds());
            labels.add(e.labels());
            if (e.pixels() != null) {
                Tensor image = e.pixels().rank() == 3 ? e.pixels().unsqueeze(0) : e.pixels();
                LlavaModel.requireFinite(image);             // on the host, before the backend copies it anywhere
                images.add(image);
            }
        }
        return new MicroBatch(ids, labels, images.isEmpty() ? null : be.concat(images, 0));
    }
}
