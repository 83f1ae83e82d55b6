/*
 * The ops the CUDA backend has no kernel for run on the CPU backend: the device is synchronised first, inputs
 * are read where they lie (device memory is host memory on the emulated device and managed memory on a GPU,
 * both readable by the host), and later kernels take the host result through DeviceMemory.input. Correct
 * everywhere, slow on a GPU, so each op that falls back is logged once; docs/kernels.md lists them.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

final class HostFallback {
    private static final Logger LOG = LoggerFactory.getLogger(HostFallback.class);

    private final CpuBackend cpu = new CpuBackend();
    private final DeviceMemory memory;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    HostFallback(DeviceMemory memory) { this.memory = memory; }

    <T> T run(String op, Function<Backend, T> body) {
        if (logged.add(op)) LOG.info("CUDA backend: {} has no kernel; computing it on the host", op);
        memory.synchronize();
        return body.apply(cpu);
    }

    /** The ops that have fallen back so far (for tests and reports). */
    Set<String> ops() { return Set.copyOf(logged); }
}
