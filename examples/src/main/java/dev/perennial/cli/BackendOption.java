/* The --backend option every model-running subcommand takes (a picocli mixin, part of ModelOptions and ClipModelOptions). */
package dev.perennial.cli;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Backends;
import picocli.CommandLine.Option;

final class BackendOption {
    @Option(names = "--backend", defaultValue = "${sys:perennial.backend:-auto}",
            description = "auto (a GPU when one is usable, else the CPU), cpu, cuda, or cuda-emulated (the CUDA kernels "
                    + "on the CPU emulator: slow, for checking). Default: ${DEFAULT-VALUE}.")
    String backend;

    private Backend selected;

    /** The chosen backend, created once: every part of a command must share one device (and its memory). */
    Backend backend() {
        if (selected == null) selected = Backends.select(backend);
        return selected;
    }
}
