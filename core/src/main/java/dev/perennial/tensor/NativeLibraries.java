/*
 * The native libraries perennial-core loads through JavaCPP (its own jnijavacpp for every off-heap allocation, and
 * OpenBLAS for GEMM), and the one-line error when the running platform's natives are not on the class path: which
 * artifact to add, for this platform. perennial-core depends on JavaCPP's -platform artifacts, which bring the natives
 * of every platform or only those named by -Djavacpp.platform (docs/architecture.md, "Platforms").
 */
package dev.perennial.tensor;

import org.bytedeco.javacpp.Loader;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The native libraries perennial-core loads through JavaCPP (JavaCPP's own and OpenBLAS), and the one-line error that
 * names the artifact to add when this platform's natives are missing; {@code platform} is JavaCPP's platform name.
 * <p>Thread-safe: its only static state, the artifact versions, is loaded in the static initializer and only read
 * afterwards.
 */
public final class NativeLibraries {
    private static final Properties VERSIONS = new Properties();

    static {
        try (InputStream in = NativeLibraries.class.getResourceAsStream("natives.properties")) {
            if (in != null) VERSIONS.load(in);
        } catch (IOException e) {
            // the message then names the artifact without its version
        }
    }

    private NativeLibraries() {}

    /** JavaCPP's name of this platform (e.g. linux-x86_64, macosx-arm64, windows-x86_64). */
    public static String platform() { return Loader.getPlatform(); }

    /** The error for a missing native {@code artifact} ("javacpp" or "openblas") on this platform. */
    static UnsatisfiedLinkError missing(String artifact, Throwable cause) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(missingMessage(artifact, VERSIONS.getProperty(artifact, "VERSION"), platform()));
        e.initCause(cause);
        return e;
    }

    /** One line: what is missing, for which platform, and the artifact that brings it. */
    static String missingMessage(String artifact, String version, String platform) {
        return "no native " + artifact + " library for " + platform + " on the class path: add org.bytedeco:" + artifact + "-platform:"
                + version + " (run with -Djavacpp.platform=" + platform + " to fetch only this platform's natives) or org.bytedeco:"
                + artifact + ":" + version + ":" + platform;
    }
}
