/* Where core's golden test resources are: read in place (system property perennial.golden, set by this module's POM). */
package dev.perennial.benchdata;

import java.nio.file.Path;

public final class Golden {
    private Golden() {}

    /** core/src/test/resources/golden of this checkout. */
    public static Path dir() {
        return Path.of(System.getProperty("perennial.golden", "../../core/src/test/resources/golden")).toAbsolutePath().normalize();
    }
}
