/*
 * `perennial score`'s output files from the Spark job's pool.parquet, written by the driver in row order while
 * streaming the table (toLocalIterator: one partition at a time in the driver's memory): vectors.pnvec (the
 * memory-mapped VectorStore) and vectors.npy (f32 [N, k], NaN rows for invalid samples), NAME.npy (f32 [N]) per
 * scorer, records.json ([{"source", "record", "id", "invalid"?}], the same objects as score's). It also returns the
 * labels' inputs the driver needs for selection: the scores and which rows are valid.
 */
package dev.perennial.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.Npy;
import dev.perennial.select.VectorStore;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes score's files from pool.parquet. */
final class ScoreFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The scores by scorer (in order) and, per row, whether its vector is finite. */
    record Columns(Map<String, float[]> scores, boolean[] valid) {}

    private ScoreFiles() {}

    static Columns write(SparkSession spark, Path poolParquet, List<String> scorers, int n, int dim, Path out) throws IOException {
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (String s : scorers) scores.put(s, new float[n]);
        boolean[] valid = new boolean[n];
        Path store = out.resolve("vectors.pnvec");
        long expected = 0;
        try (VectorStore.Writer vectors = VectorStore.create(store, dim, DType.F32);
             BufferedWriter records = Files.newBufferedWriter(out.resolve("records.json"), StandardCharsets.UTF_8)) {
            records.write('[');
            Iterator<Row> it = spark.read().parquet(poolParquet.toString()).orderBy(PoolRows.ROW).toLocalIterator();
            while (it.hasNext()) {
                Row r = it.next();
                long row = r.getLong(r.fieldIndex(PoolRows.ROW));
                if (row != expected) throw new IllegalStateException(poolParquet + ": row " + expected + " is " + (row < expected ? "duplicated" : "missing"));
                float[] v = PoolRows.vector(r);
                if (v.length != dim) throw new IllegalStateException(poolParquet + ": row " + row + " has a vector of " + v.length + ", not " + dim);
                vectors.append(v);
                boolean finite = true;
                for (float x : v) finite &= Float.isFinite(x);
                valid[(int) row] = finite;
                for (String s : scorers) scores.get(s)[(int) row] = r.getFloat(r.fieldIndex(s));
                ObjectNode rec = JSON.createObjectNode().put("source", r.getString(r.fieldIndex(PoolRows.SOURCE)))
                        .put("record", r.getInt(r.fieldIndex(PoolRows.RECORD)));
                if (r.isNullAt(r.fieldIndex(PoolRows.ID))) rec.putNull("id");
                else rec.put("id", r.getString(r.fieldIndex(PoolRows.ID)));
                if (!r.isNullAt(r.fieldIndex(PoolRows.INVALID))) rec.put("invalid", r.getString(r.fieldIndex(PoolRows.INVALID)));
                records.write(expected == 0 ? "\n" : ",\n");
                records.write(JSON.writeValueAsString(rec));
                expected++;
            }
            if (expected != n) throw new IllegalStateException(poolParquet + " has " + expected + " rows, the pool " + n);
            records.write("\n]\n");
            vectors.commit();
            vectors.finish().close();
        }
        try (VectorStore v = VectorStore.open(store)) {
            v.exportNpy(out.resolve("vectors.npy"));
        }
        for (var e : scores.entrySet()) {
            try (Tensor t = Tensor.of(e.getValue(), n)) {
                Npy.write(out.resolve(e.getKey() + ".npy"), t);
            }
        }
        return new Columns(scores, valid);
    }
}
