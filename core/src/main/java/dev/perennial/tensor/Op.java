/*
 * An accelerated operation with a home (docs/architecture.md, "Ops with a home"): the package that needs an
 * operation declares it here — its name, its function type (an interface with one or a few methods) and the
 * implementation to use where a backend offers none (a CPU path, or null when the caller composes it from Backend
 * ops). Backends offer their own implementations in their OpTable (CudaBackend registers its kernels there), so
 * select, prompt, train and autograd run their hot paths on any Backend without knowing the backend's classes,
 * and a new backend adds an op by one register call.
 *
 *   Op<NearestCentroid> OP = Op.declare("kmeansAssign", NearestCentroid.class, be -> cpuPath);
 *   NearestCentroid f = OP.on(be);       // the backend's kernel if registered, else cpuPath
 */
package dev.perennial.tensor;

import java.util.Objects;
import java.util.function.Function;

/**
 * An accelerated operation with a home: its name, its function type and the fallback for backends that offer no
 * implementation (a CPU path, or null when callers compose it from Backend ops); {@code on(be)} returns the backend's
 * registered implementation, else the fallback's.
 * <p>Thread-safe: its fields are final, and {@code on} and {@code offeredBy} only read the backend's concurrent
 * {@link OpTable}; the fallback function runs on the calling thread.
 */
public final class Op<F> {
    private final String name;
    private final Class<F> type;
    private final Function<Backend, F> fallback;

    private Op(String name, Class<F> type, Function<Backend, F> fallback) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.fallback = Objects.requireNonNull(fallback);
    }

    /**
     * @param fallback what a backend without its own implementation gets (may return null: then callers compose
     *                 the operation from Backend's ops)
     */
    public static <F> Op<F> declare(String name, Class<F> type, Function<Backend, F> fallback) {
        return new Op<>(name, type, fallback);
    }

    /** The implementation on {@code be}: the one its OpTable registers, else the declaration's fallback (may be null). */
    public F on(Backend be) {
        F own = be.ops().get(this);
        return own != null ? own : fallback.apply(be);
    }

    /** True when {@code be} registers its own implementation (a kernel) rather than using the fallback. */
    public boolean offeredBy(Backend be) { return be.ops().get(this) != null; }

    public String name() { return name; }

    public Class<F> type() { return type; }

    @Override
    public String toString() { return "Op[" + name + "]"; }
}
