/*
 * Run-time selection of the GEMM used by the CPU backend: "openblas" (default), "nd4j" (needs nd4j-native on
 * the class path; loaded reflectively so that users without ND4J never touch its classes) or "java".
 * The default can be set with the system property perennial.gemm.
 */
package dev.perennial.tensor;

import java.util.Locale;

/**
 * Chooses the CPU backend's {@link Gemm} at run time by name: "openblas" (default), "nd4j" (when nd4j-native is on the
 * class path; loaded reflectively) or "java"; the default comes from the {@code perennial.gemm} system property.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state).
 */
public final class GemmChoice {
    private GemmChoice() {}

    static final String ND4J_CLASS = "dev.perennial.tensor.nd4j.Nd4jGemm";

    /** The GEMM named by the perennial.gemm system property (default openblas). */
    public static Gemm fromSystemProperty() {
        return byName(System.getProperty("perennial.gemm", "openblas"));
    }

    /** The GEMM called {@code name}; a clear error if it is unknown or its library is missing. */
    public static Gemm byName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "openblas": return OpenBlasGemm.INSTANCE;
            case "java": return JavaGemm.INSTANCE;
            case "nd4j": return nd4j();
            default: throw new IllegalArgumentException("unknown GEMM '" + name + "' (openblas, nd4j, java)");
        }
    }

    /** True when the ND4J GEMM can be created (nd4j-native is on the class path). */
    public static boolean nd4jAvailable() {
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, GemmChoice.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static Gemm nd4j() {
        if (!nd4jAvailable()) {
            throw new IllegalStateException("GEMM 'nd4j' requested but org.nd4j:nd4j-native is not on the class path");
        }
        try {
            return (Gemm) Class.forName(ND4J_CLASS).getField("INSTANCE").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the ND4J GEMM", e);
        }
    }
}
