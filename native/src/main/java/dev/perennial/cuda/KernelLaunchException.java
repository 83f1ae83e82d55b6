/*
 * A kernel launcher returned a non-zero cudaError_t. Carries the code so callers and tests can tell an invalid
 * argument (1, cudaErrorInvalidValue) from a failed launch (719, cudaErrorLaunchFailure: on the emulated device
 * e.g. barrier divergence, with the emulator's explanation in the message).
 */
package dev.perennial.cuda;

public final class KernelLaunchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public KernelLaunchException(String kernel, int code, String detail) {
        super(kernel + " failed with CUDA error " + code + (detail.isEmpty() ? "" : ": " + detail));
        this.code = code;
    }

    /** The cudaError_t the launcher returned. */
    public int code() { return code; }
}
