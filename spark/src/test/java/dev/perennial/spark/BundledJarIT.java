/*
 * The bundled jar as a person runs it (failsafe, `mvn verify`, after `package` has built target/perennial-spark.jar):
 * plain `java -jar perennial-spark.jar adapt-step --master local[2] ...` in a child JVM of the running JDK, with no
 * JVM flags (the jar's manifest opens the JDK packages Spark needs), on the tiny-model pool of the other tests. It
 * must exit 0 and write score's and select's files.
 */
package dev.perennial.spark;

import dev.perennial.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class BundledJarIT {
    @TempDir
    Path dir;

    @Test
    void adaptStepWithPlainJavaJar() throws Exception {
        Path jar = Path.of(System.getProperty("perennial.sparkJar"));
        assertTrue(Files.isRegularFile(jar), jar + " (built by `mvn package`)");
        SparkPool pool = new SparkPool(dir);
        Path out = dir.resolve("out"), log = dir.resolve("log.txt");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(pool.adaptStep("local[2]", out)));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // nothing inherited may add JVM options: the jar must run as it is
        pb.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "SPARK_HOME"));
        Process p = pb.start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("java -jar did not finish in 3 minutes:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), output);
        assertFalse(output.contains("perennial-spark: "), output);

        assertArrayEquals(new int[]{SparkPool.N, 32}, Npy.read(out.resolve("vectors.npy")).shape());
        for (String s : SparkPool.SCORERS) assertEquals(SparkPool.N, Npy.read(out.resolve(s + ".npy")).shape()[0], s);
        assertEquals(SparkPool.N, Npy.read(out.resolve("labels.npy")).shape()[0]);
        assertArrayEquals(new int[]{3, 32}, Npy.read(out.resolve("centroids.npy")).shape());
        assertTrue(Files.exists(out.resolve("pool.parquet/_SUCCESS")));
        for (String f : List.of("records.json", "report.json")) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertEquals(5, AdaptStepLocalTest.ints(out.resolve("selected_ids.json")).length);
        assertEquals(10, AdaptStepLocalTest.ints(out.resolve("kept_ids.json")).length);
    }
}
