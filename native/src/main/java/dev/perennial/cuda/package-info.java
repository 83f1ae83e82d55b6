/**
 * JavaCPP bindings of the CUDA kernel launchers, the CUDA backend and the emulated device (kernel sources
 * compiled with g++ against a SIMT emulation header so they run in JUnit without a GPU).
 *
 * <p>Empty until the kernel issue lands: the module exists now so that the build, the Maven coordinates and
 * the dependency direction (native depends on core, never the other way) are fixed from the start.
 */
package dev.perennial.cuda;
