/*
 * A child process for MemoryCapTest: selects the backend the way every model command does (`--backend auto`, which
 * probes for a GPU through JavaCPP's CUDA preset) and then prints the native memory cap in force and its origin.
 */
package dev.perennial.cli;

import dev.perennial.tensor.Backends;
import dev.perennial.tensor.NativeMemory;

public final class CapAfterBackendMain {
    private CapAfterBackendMain() {}

    public static void main(String[] args) {
        System.out.println("backend " + Backends.select("auto").name());
        System.out.println("cap " + NativeMemory.cap());
        System.out.println("origin " + NativeMemory.origin());
    }
}
