/*
 * C ABI of the Perennial CUDA library: runtime queries shared by the real (nvcc) build and, from the kernel
 * issue on, the emulated build. Launchers return a cudaError_t as int and never throw.
 */
#ifndef PERENNIAL_RUNTIME_H
#define PERENNIAL_RUNTIME_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Number of usable CUDA devices in *count. Returns the cudaGetDeviceCount error code; on error *count is set
 * to 0 (cudaGetDeviceCount leaves it untouched, see docs/toolchain.md §1.4) and the sticky error is cleared.
 * Safe on machines without the NVIDIA driver (returns cudaErrorInsufficientDriver = 35 there).
 */
int pn_device_count(int* count);

#ifdef __cplusplus
}
#endif

#endif
