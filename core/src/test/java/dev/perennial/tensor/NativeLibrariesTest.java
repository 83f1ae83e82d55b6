/*
 * The missing-natives message names the artifact to add for the running platform, with the version perennial-core
 * was built against (filtered into natives.properties), in one line.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibrariesTest {
    @Test
    void theMessageNamesThePlatformAndBothWaysToAddIt() {
        String m = NativeLibraries.missingMessage("openblas", "0.3.31-1.5.13", "macosx-arm64");
        assertTrue(m.contains("for macosx-arm64"), m);
        assertTrue(m.contains("org.bytedeco:openblas-platform:0.3.31-1.5.13"), m);
        assertTrue(m.contains("-Djavacpp.platform=macosx-arm64"), m);
        assertTrue(m.contains("org.bytedeco:openblas:0.3.31-1.5.13:macosx-arm64"), m);
        assertFalse(m.contains("\n"), "one line");
    }

    @Test
    void theErrorCarriesTheBuiltVersionsAndThisPlatform() {
        UnsatisfiedLinkError e = NativeLibraries.missing("javacpp", new UnsatisfiedLinkError("no jnijavacpp"));
        assertTrue(e.getMessage().contains("org.bytedeco:javacpp-platform:1.5.") && !e.getMessage().contains("VERSION")
                && !e.getMessage().contains("${"), "the built version, filtered in: " + e.getMessage());
        assertTrue(e.getMessage().contains(NativeLibraries.platform()), e.getMessage());
        assertEquals("no jnijavacpp", e.getCause().getMessage());
    }
}
