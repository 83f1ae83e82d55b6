/*
 * Order in which the emulated device runs the threads (fibers) of a block between synchronisation points.
 * Kernels must give the same result in both; tests run each kernel under both to catch a missing
 * __syncthreads()/__syncwarp() (a race that one order hides shows up in the other).
 */
package dev.perennial.cuda;

public enum FiberOrder {
    /** Thread 0 first. */
    FORWARD,
    /** Last thread first. */
    REVERSE
}
