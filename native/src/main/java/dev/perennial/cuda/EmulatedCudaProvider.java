/*
 * "cuda-emulated": the CUDA backend on the emulated device. Never chosen by "auto" (priority 0: fibers on the CPU
 * are far slower than the CPU backend); selected by name to run a model through the same kernel code a GPU runs
 * (--backend cuda-emulated, -Dperennial.backend=cuda-emulated).
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.BackendProvider;
import org.bytedeco.javacpp.Loader;

public final class EmulatedCudaProvider implements BackendProvider {
    @Override
    public String name() { return "cuda-emulated"; }

    @Override
    public Availability probe() {
        try {
            Loader.load(EmuKernels.class);
            return Availability.yes("kernels compiled for the emulated device");
        } catch (Throwable t) {          // UnsatisfiedLinkError etc.: report, never throw
            return Availability.no("emulated kernels did not load: " + t);
        }
    }

    @Override
    public int priority() { return 0; }

    @Override
    public Backend create() { return CudaBackend.emulated(); }
}
