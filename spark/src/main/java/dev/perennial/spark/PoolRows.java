/*
 * The pool table of the Spark job (pool.parquet): one row per pool sample with its position, where it came from,
 * whether it is valid, its vector and one column per scorer:
 *
 *   row      long          position in the pool (0..N−1, `perennial score`'s row order)
 *   id       string        the record's "id" (null when it has none)
 *   source   string        the LLaVA-JSON file, as given
 *   record   int           index in that file's array
 *   invalid  string        why the sample has no vector and scores (records.json's text), null when valid
 *   vector   array<float>  [k], all NaN when invalid
 *   NAME     float         one column per scorer, NaN when invalid
 */
package dev.perennial.spark;

import dev.perennial.select.RowScorer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/** The schema of pool.parquet and the conversion of scored rows into it. */
final class PoolRows {
    static final String ROW = "row", ID = "id", SOURCE = "source", RECORD = "record", INVALID = "invalid", VECTOR = "vector";

    private PoolRows() {}

    static StructType schema(List<String> scorers) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField(ROW, DataTypes.LongType, false),
                DataTypes.createStructField(ID, DataTypes.StringType, true),
                DataTypes.createStructField(SOURCE, DataTypes.StringType, false),
                DataTypes.createStructField(RECORD, DataTypes.IntegerType, false),
                DataTypes.createStructField(INVALID, DataTypes.StringType, true),
                DataTypes.createStructField(VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false)));
        for (String s : scorers) {
            if (List.of(ROW, ID, SOURCE, RECORD, INVALID, VECTOR).contains(s)) throw new IllegalArgumentException("scorer name '" + s + "' is a pool column");
            fields.add(DataTypes.createStructField(s, DataTypes.FloatType, false));
        }
        return DataTypes.createStructType(fields);
    }

    static Row toRow(long position, RowScorer.Row r) {
        Object[] v = new Object[6 + r.scores().length];
        v[0] = position;
        v[1] = r.id();
        v[2] = r.source();
        v[3] = r.record();
        v[4] = r.invalidText();
        Float[] vector = new Float[r.vector().length];
        for (int i = 0; i < vector.length; i++) vector[i] = r.vector()[i];
        v[5] = vector;
        for (int j = 0; j < r.scores().length; j++) v[6 + j] = r.scores()[j];
        return RowFactory.create(v);
    }

    /** A vector column value as floats. */
    static float[] vector(Row row) {
        List<Object> list = row.getList(row.fieldIndex(VECTOR));
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = (Float) list.get(i);
        return out;
    }
}
