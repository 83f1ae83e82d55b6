/*
 * Scores one projection group of pool samples into rows: encodes each LLaVA sample (template, tokens, image),
 * decides whether it is invalid and why (PoolScorer.Invalid: the `perennial score` rules), runs the valid ones
 * through ScoringPass.scoreGroup together and returns, per sample, its vector, its scores (NaN for invalid
 * samples) and its record (source file, record index, id, invalid reason). PoolScorer writes these rows to its
 * files; perennial-spark's executors score their partitions' groups with the same class, so a row's numbers do not
 * depend on which process scored it (docs/methods/adapt-inf.md Appendix A, the first loop of a step).
 *
 * A group's gradients are projected together, so callers form the same groups as PoolScorer (consecutive rows of
 * the pool, from row 0, `group` at a time) to get the same rows.
 */
package dev.perennial.select;

import dev.perennial.data.ImagePathException;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Turns a projection group of LLaVA samples into scored rows (vector, scores, record, invalid reason), by the rules
 * of {@code perennial score}.
 * <p>Not thread-safe: it drives one ScoringPass and one SampleEncoder (whose counts it updates).
 */
public final class RowScorer {
    /** A sample to score: the file it came from (as given) and the sample. */
    public record Pending(String source, LlavaSample sample) {}

    /**
     * One scored row.
     * @param record  the sample's index in its file's array
     * @param id      its "id", or null
     * @param invalid why it has no vector and scores, or null for a valid sample
     * @param detail  more about the invalid reason, or null
     * @param vector  [k] (all NaN when invalid)
     * @param scores  one per scorer, in the scorers' order (NaN when invalid)
     */
    public record Row(String source, int record, String id, PoolScorer.Invalid invalid, String detail, float[] vector, float[] scores) {
        /** The records.json "invalid" text: the reason's description and its detail, or null. */
        public String invalidText() {
            return invalid == null ? null : invalid.description() + (detail == null ? "" : ": " + detail);
        }
    }

    private final LlavaModel model;
    private final SampleEncoder encoder;
    private final ImageStore images;
    private final ScoringPass pass;
    private final Collection<Scorer> scorers;

    /**
     * @param images the encoder's image store (null for a text-only pool), read for its missing-image count
     */
    public RowScorer(LlavaModel model, SampleEncoder encoder, ImageStore images, ScoringPass pass, Collection<Scorer> scorers) {
        this.model = model;
        this.encoder = encoder;
        this.images = images;
        this.pass = pass;
        this.scorers = List.copyOf(scorers);
    }

    /** The pass that computes the vectors. */
    public ScoringPass pass() { return pass; }

    /** Scores one projection group; rows line up with {@code group}. */
    public List<Row> score(List<Pending> group) {
        List<TrainingExample> examples = new ArrayList<>();
        Object[] outcome = new Object[group.size()];                    // TrainingExample or Rejected
        for (int i = 0; i < group.size(); i++) {
            outcome[i] = encode(group.get(i).sample());
            examples.add(outcome[i] instanceof TrainingExample e ? e : null);
        }
        List<ScoringPass.ScoredRow> scored = pass.scoreGroup(examples, scorers);
        List<Row> rows = new ArrayList<>(group.size());
        for (int i = 0; i < group.size(); i++) {
            Pending p = group.get(i);
            Rejected r = outcome[i] instanceof Rejected x ? x : null;
            rows.add(new Row(p.source(), p.sample().index(), p.sample().id(), r == null ? null : r.reason(), r == null ? null : r.detail(),
                    scored.get(i).vector(), scored.get(i).scores()));
        }
        return rows;
    }

    private record Rejected(PoolScorer.Invalid reason, String detail) {}

    private Object encode(LlavaSample sample) {
        long missing = images == null ? 0 : images.missingCount();
        Optional<TrainingExample> e;
        try {
            e = encoder.encode(sample);
        } catch (ImagePathException ex) {
            return new Rejected(PoolScorer.Invalid.IMAGE_OUTSIDE_ROOT, ex.getMessage());
        } catch (IllegalArgumentException ex) {
            return new Rejected(PoolScorer.Invalid.UNSUPPORTED, ex.getMessage());
        }
        if (e.isEmpty()) {
            return new Rejected(images != null && images.missingCount() > missing ? PoolScorer.Invalid.MISSING_IMAGE
                    : PoolScorer.Invalid.UNREADABLE_IMAGE, null);
        }
        int ignore = model.config().ignoreIndex();
        for (long l : e.get().labels()) if (l != ignore) return e.get();
        return new Rejected(PoolScorer.Invalid.NO_RESPONSE_TOKENS, null);
    }
}
