/*
 * Is there a usable GPU? Decided once, without ever throwing and without touching a class of the org.bytedeco
 * CUDA preset (which cannot even load without libcuda.so.1, docs/toolchain.md §1.4): only our own JNI library is
 * loaded, and pn_device_count's error code is trusted over the count.
 */
package dev.perennial.cuda.gpu;

import org.bytedeco.javacpp.IntPointer;

public final class GpuProbe {
    private static final boolean AVAILABLE;
    private static final String REASON;

    static {
        boolean ok = false;
        String reason;
        try (IntPointer n = new IntPointer(1)) {
            int err = CudaKernels.pn_device_count(n);
            int count = err == 0 ? n.get() : 0;
            ok = count > 0;
            reason = err != 0 ? "cudaGetDeviceCount returned error " + err + describe(err)
                    : count == 0 ? "no CUDA device" : count + " CUDA device(s)";
        } catch (Throwable t) {      // UnsatisfiedLinkError (no libcudart, library not built), NoClassDefFoundError
            reason = "CUDA kernels library did not load: " + t;
        }
        AVAILABLE = ok;
        REASON = reason;
    }

    private GpuProbe() {}

    public static boolean available() { return AVAILABLE; }

    public static String reason() { return REASON; }

    private static String describe(int err) {
        return switch (err) {
            case 35 -> " (cudaErrorInsufficientDriver: no NVIDIA driver)";
            case 100 -> " (cudaErrorNoDevice)";
            default -> "";
        };
    }
}
