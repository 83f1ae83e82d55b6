/*
 * Batches of similar-length samples, so that padding to the longest sample in a batch wastes little compute.
 * The idea of LLaVA's --group_by_modality_length / HF's group_by_length (llava/train/llava_trainer.py
 * get_length_grouped_indices): take a random permutation, cut it into mega-batches of batchSize * megaBatchFactor
 * samples, sort each mega-batch by length (longest first, ties in permutation order), cut it into batches of
 * batchSize, and shuffle the order of all batches. Randomness stays at two levels (which samples meet in a
 * mega-batch, and batch order) while each batch holds neighbours in length.
 *
 * Deterministic given the seed (java.util.SplittableRandom, Fisher-Yates); pass a different seed per epoch. Every
 * index 0..n-1 appears exactly once; only the last mega-batch's last batch can be smaller than batchSize.
 * Lengths are whatever the caller wants grouped, e.g. token count - 1 + image features per image sample.
 * Not done: LLaVA's split into image and text-only batches (its negative "modality lengths").
 */
package dev.perennial.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batches of sample indices grouped by length, as LLaVA's {@code --group_by_modality_length}: a seeded shuffle,
 * mega-batches of {@code batchSize * megaBatchFactor} samples sorted longest first and cut into batches, then the batch
 * order shuffled. Lengths are whatever the caller groups by (e.g. tokens); every index appears exactly once.
 * <p>Stateless; its static methods are safe to call from several threads (each call uses its own seeded generator).
 */
public final class LengthGroupedBatches {
    private LengthGroupedBatches() {}

    /** Batches of sample indices into lengths, grouped by length as described above. */
    public static List<int[]> of(int[] lengths, int batchSize, int megaBatchFactor, long seed) {
        if (batchSize < 1 || megaBatchFactor < 1) {
            throw new IllegalArgumentException("batch size and mega-batch factor must be positive, got " + batchSize + " and " + megaBatchFactor);
        }
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) throw new IllegalArgumentException("length " + i + " is negative: " + lengths[i]);
        }
        SplittableRandom random = new SplittableRandom(seed);
        Integer[] order = new Integer[lengths.length];
        Arrays.setAll(order, i -> i);
        shuffle(order, random);
        int mega = Math.multiplyExact(batchSize, megaBatchFactor);
        Comparator<Integer> longestFirst = Comparator.comparingInt(i -> -lengths[i]);
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += mega) {
            int to = Math.min(order.length, from + mega);
            Arrays.sort(order, from, to, longestFirst);
            for (int b = from; b < to; b += batchSize) {
                batches.add(Arrays.stream(order, b, Math.min(to, b + batchSize)).mapToInt(Integer::intValue).toArray());
            }
        }
        int[][] shuffled = batches.toArray(int[][]::new);
        shuffle(shuffled, random);
        return List.of(shuffled);
    }

    private static <T> void shuffle(T[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
