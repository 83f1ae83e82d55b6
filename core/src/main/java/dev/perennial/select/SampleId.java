/*
 * The stable identity of a pool sample across ADAPT-∞ timesteps (docs/methods/adapt-inf.md §1.1, §7): the dataset it arrived
 * with and its record index in that dataset's file (0-based, in file order, counting every record). Pool
 * positions change from step to step as samples are pruned; a SampleId never does, so it is what step folders,
 * reports and "pruned ids never return" are stated in. Written as "dataset#index".
 */
package dev.perennial.select;

/**
 * A pool sample's identity: the dataset it came from and its record index there.
 * <p>Immutable; safe to share between threads.
 *
 * @param dataset the dataset's name, as given when it joined the pool
 * @param index   the record's position in that dataset, ≥ 0
 */
public record SampleId(String dataset, int index) {
    public SampleId {
        if (dataset == null || dataset.isEmpty()) throw new IllegalArgumentException("a sample id needs a dataset name");
        if (index < 0) throw new IllegalArgumentException("record index must be >= 0, got " + index);
    }

    @Override
    public String toString() { return dataset + "#" + index; }
}
