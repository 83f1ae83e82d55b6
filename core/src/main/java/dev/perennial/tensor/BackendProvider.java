/*
 * A backend that may or may not be usable on this machine, found through java.util.ServiceLoader (a module on the
 * class path declares it in META-INF/services/dev.perennial.tensor.BackendProvider). perennial-native provides
 * the CUDA backend on a GPU and on the emulated device. Backends.select asks probe() before create().
 */
package dev.perennial.tensor;

/**
 * A {@link Backend} that may or may not be usable on this machine, found through {@code ServiceLoader}
 * ({@code META-INF/services}): {@link Backends} asks {@code probe} (which never throws) before {@code create}, and
 * "auto" prefers the usable provider with the highest positive priority.
 * <p>Thread-safety is the implementation's; the implementations, perennial-native's {@code EmulatedCudaProvider} and
 * the cuda module's {@code GpuCudaProvider}, hold no state, and {@code Backends} loads fresh instances on every call.
 */
public interface BackendProvider {

    /** The name users select it by (e.g. "cuda"). */
    String name();

    /** Whether create() can succeed here. Must never throw and must not load native libraries it cannot load. */
    Availability probe();

    /** Used by "auto": a usable provider with the highest priority wins over the CPU backend (priority 0). */
    int priority();

    Backend create();

    record Availability(boolean available, String reason) {
        public static Availability yes(String reason) { return new Availability(true, reason); }
        public static Availability no(String reason) { return new Availability(false, reason); }
    }
}
