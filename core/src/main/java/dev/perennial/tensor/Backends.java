/*
 * Picks the backend a program runs on: "cpu", the name of a BackendProvider on the class path (e.g. "cuda",
 * "cuda-emulated"), or "auto" — the usable provider with the highest positive priority, else the CPU backend.
 * The default comes from the system property perennial.backend (default "auto"). Each decision is logged once
 * with the reason (a missing GPU means the CPU backend, logged once). Probing never throws.
 */
package dev.perennial.tensor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Picks the {@link Backend} a program runs on: "cpu", a {@link BackendProvider} by name (e.g. "cuda"), or "auto" (the
 * usable provider with the highest positive priority, else {@link CpuBackend}); the default comes from the
 * {@code perennial.backend} system property. Each decision is logged once.
 * <p>Thread-safe: its static methods share only a concurrent set of already-logged decisions; every call loads its own
 * providers and returns a new backend.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    static {
        NativeMemory.configure();             // before any backend (the CUDA probe, OpenBLAS) initialises JavaCPP
    }

    private Backends() {}

    /** The backend named by -Dperennial.backend (default "auto"). */
    public static Backend fromSystemProperty() {
        return select(System.getProperty("perennial.backend", "auto"));
    }

    /**
     * @param choice "auto", "cpu" or a provider name
     * @throws IllegalArgumentException for an unknown name, or a named provider that is not usable here (with
     *                                  its reason)
     */
    public static Backend select(String choice) {
        String c = choice.trim().toLowerCase(java.util.Locale.ROOT);
        if (c.equals("cpu")) return new CpuBackend();
        List<BackendProvider> providers = providers();
        if (c.equals("auto")) {
            BackendProvider best = null;
            StringBuilder why = new StringBuilder();
            for (BackendProvider p : providers) {
                if (p.priority() <= 0) continue;
                BackendProvider.Availability a = p.probe();
                why.append(why.isEmpty() ? "" : "; ").append(p.name()).append(": ").append(a.reason());
                if (a.available() && (best == null || p.priority() > best.priority())) best = p;
            }
            String note = why.isEmpty() ? "no accelerator backend on the class path" : why.toString();
            if (best == null) {
                // a machine without a GPU is the normal case, not a problem: the driver's error text stays at DEBUG
                if (LOGGED.add("auto -> cpu")) {
                    LOG.info(providers.isEmpty() ? "CPU backend" : "CPU backend (no GPU found)");
                    LOG.debug("backend probes: {}", note);
                }
                return new CpuBackend();
            }
            logOnce("auto -> " + best.name(), "Backend: {} ({})", best.name(), note);
            return best.create();
        }
        for (BackendProvider p : providers) {
            if (!p.name().equals(c)) continue;
            BackendProvider.Availability a = p.probe();
            if (!a.available()) throw new IllegalArgumentException("backend " + c + " is not usable here: " + a.reason());
            logOnce(c, "Backend: {} ({})", c, a.reason());
            return p.create();
        }
        List<String> names = new ArrayList<>(List.of("auto", "cpu"));
        providers.forEach(p -> names.add(p.name()));
        throw new IllegalArgumentException("unknown backend '" + choice + "'; available: " + String.join(", ", names));
    }

    /** The providers on the class path, by name. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                list.add(it.next());
            } catch (ServiceConfigurationError e) {     // a broken provider jar must not stop the CPU backend
                logOnce("broken provider " + e.getMessage(), "Backend provider skipped: {}", e.toString());
            }
        }
        list.sort(Comparator.comparing(BackendProvider::name));
        return list;
    }

    private static void logOnce(String key, String format, Object... args) {
        if (LOGGED.add(key)) LOG.info(format, args);
    }
}
