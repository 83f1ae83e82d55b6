/*
 * Synthetic ADAPT-∞ step inputs for the pool tests: every SampleId gets a vector near one of BLOBS unit
 * directions (its blob = a hash of the id) plus noise that depends on the step (the model changes between steps,
 * so vectors are recomputed, docs/methods/adapt-inf.md §2.1), L2-normalised, and scores from three scorers of different
 * shapes. Everything is a function of (id, step), so a pool and a fresh computation agree.
 */
package dev.perennial.select;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

final class SyntheticSteps {
    static final int DIM = 16, BLOBS = 4;
    static final String[] SCORERS = {"el2n", "entropy", "ppl"};

    private SyntheticSteps() {}

    static int blob(SampleId id) {
        return Math.floorMod(id.toString().hashCode() * 31 + 7, BLOBS);
    }

    private static SplittableRandom rng(SampleId id, int step, int stream) {
        return new SplittableRandom(MultiWaySelection.mix(id.toString().hashCode() * 1_000_003L + step, stream));
    }

    /** Writes the [N, DIM] f32 vectors of {@code ids} at {@code step} to {@code file}. */
    static Path vectors(Path file, SampleId[] ids, int step) throws IOException {
        float[] v = new float[ids.length * DIM];
        for (int i = 0; i < ids.length; i++) {
            SplittableRandom r = rng(ids[i], step, 0);
            double norm = 0;
            for (int j = 0; j < DIM; j++) {
                float x = (j % BLOBS == blob(ids[i]) ? 3f : 0f) + (float) (r.nextDouble() - 0.5);
                v[i * DIM + j] = x;
                norm += x * x;
            }
            for (int j = 0; j < DIM; j++) v[i * DIM + j] /= (float) Math.sqrt(norm);
        }
        try (Tensor t = Tensor.of(v, ids.length, DIM)) {
            Npy.write(file, t);
        }
        return file;
    }

    /** The scores of {@code ids} at {@code step}: el2n uniform, entropy skewed, ppl a few distinct values per blob. */
    static Map<String, float[]> scores(SampleId[] ids, int step) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String s : SCORERS) out.put(s, new float[ids.length]);
        for (int i = 0; i < ids.length; i++) {
            SplittableRandom r = rng(ids[i], step, 1);
            out.get("el2n")[i] = (float) r.nextDouble();
            out.get("entropy")[i] = (float) Math.exp(3 * r.nextDouble());
            out.get("ppl")[i] = blob(ids[i]) + r.nextInt(3);
        }
        return out;
    }

    /** Ids dataset#0 .. dataset#(n−1). */
    static SampleId[] ids(String dataset, int n) {
        SampleId[] out = new SampleId[n];
        for (int i = 0; i < n; i++) out[i] = new SampleId(dataset, i);
        return out;
    }
}
