/*
 * A backend's implementations of declared operations (Op), by Op identity: the one place a backend says which
 * accelerated operations it has. Registration checks the implementation's type; lookups are lock-free. A backend
 * fills its table when it is created; names() lists what it offers (reports and tests use it).
 */
package dev.perennial.tensor;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend's implementations of declared {@link Op}s, by Op identity: {@code register} checks the implementation's
 * type, {@code get} looks it up without locking, and {@code names} lists what the backend offers; {@link #EMPTY} is the
 * frozen table of a backend without accelerated ops.
 * <p>Thread-safe: the implementations live in a {@code ConcurrentHashMap} and the frozen flag is final.
 */
public final class OpTable {
    /** The table of a backend that offers no operation of its own. */
    public static final OpTable EMPTY = new OpTable(true);

    private final Map<Op<?>, Object> impls = new ConcurrentHashMap<>();
    private final boolean frozen;

    public OpTable() { this(false); }

    private OpTable(boolean frozen) { this.frozen = frozen; }

    /** Offers {@code impl} for {@code op}; returns this. */
    public <F> OpTable register(Op<F> op, F impl) {
        if (frozen) throw new UnsupportedOperationException("the empty op table cannot change");
        impls.put(op, op.type().cast(java.util.Objects.requireNonNull(impl)));
        return this;
    }

    /** This table's implementation of {@code op}, or null. */
    public <F> F get(Op<F> op) { return op.type().cast(impls.get(op)); }

    /** The names of the operations offered. */
    public Set<String> names() {
        Set<String> s = new TreeSet<>();
        for (Op<?> op : impls.keySet()) s.add(op.name());
        return s;
    }
}
