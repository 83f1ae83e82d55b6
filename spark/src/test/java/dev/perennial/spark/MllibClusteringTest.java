/*
 * MllibClustering on local[2]: 300 vectors in three planted groups (d = 16, well separated) plus two NaN rows; MLlib's
 * seeded k-means|| recovers the groups (every group one cluster, the three clusters distinct), gives the NaN rows
 * label −1, and the same seed gives the same labels.
 */
package dev.perennial.spark;

import dev.perennial.select.PoolStep;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class MllibClusteringTest {
    @Test
    void recoversPlantedGroups() {
        int n = 302, d = 16;
        Random r = new Random(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Float[] v = new Float[d];
            for (int j = 0; j < d; j++) v[j] = i >= 300 ? Float.NaN : (float) ((j == 3 * (i % 3) ? 8 : 0) + r.nextGaussian());
            rows.add(RowFactory.create((long) i, v));
        }
        StructType schema = DataTypes.createStructType(List.of(DataTypes.createStructField(PoolRows.ROW, DataTypes.LongType, false),
                DataTypes.createStructField(PoolRows.VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false)));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("MllibClusteringTest").getOrCreate();
        try {
            Dataset<Row> pool = spark.createDataFrame(rows, schema).repartition(4);
            PoolStep.Clustering c = MllibClustering.fit(pool, n, 3, 7, MllibClustering.DEFAULT_MAX_ITER);
            assertEquals(-1, c.labels()[300]);
            assertEquals(-1, c.labels()[301]);
            Set<Integer> clusters = new HashSet<>();
            for (int g = 0; g < 3; g++) {
                int label = c.labels()[g];
                for (int i = g; i < 300; i += 3) assertEquals(label, c.labels()[i], "planted group " + g + ", row " + i);
                clusters.add(label);
            }
            assertEquals(Set.of(0, 1, 2), clusters);
            assertArrayEquals(c.labels(), MllibClustering.fit(pool, n, 3, 7, MllibClustering.DEFAULT_MAX_ITER).labels(), "seeded");
            assertEquals(3, c.centroids().length);
        } finally {
            spark.stop();
        }
    }
}
