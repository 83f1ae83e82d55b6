/*
 * Users without ND4J on their class path must not need it: the core classes are loaded in a class loader that
 * cannot see org.nd4j, run a GEMM through the default backend, and asking for the ND4J GEMM gives a clear error.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class OptionalNd4jTest {
    @Test
    void coreWorksWithoutNd4jOnTheClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains("nd4j")) continue;
            urls.add(new File(entry).toURI().toURL());
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName("org.nd4j.linalg.factory.Nd4j", false, loader));
            Class<?> choice = Class.forName("dev.perennial.tensor.GemmChoice", true, loader);
            assertEquals(false, choice.getMethod("nd4jAvailable").invoke(null));
            Throwable err = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> choice.getMethod("byName", String.class).invoke(null, "nd4j")).getCause();
            assertTrue(err instanceof IllegalStateException && err.getMessage().contains("nd4j-native"), String.valueOf(err));

            Class<?> tensor = Class.forName("dev.perennial.tensor.Tensor", true, loader);
            Object a = tensor.getMethod("of", float[].class, int[].class).invoke(null, new float[]{1, 2, 3, 4}, new int[]{2, 2});
            Object be = Class.forName("dev.perennial.tensor.CpuBackend", true, loader).getConstructor().newInstance();
            Object c = be.getClass().getMethod("matmul", tensor, tensor).invoke(be, a, a);
            assertArrayEquals(new float[]{7, 10, 15, 22}, (float[]) tensor.getMethod("toFloatArray").invoke(c));
        }
    }
}
