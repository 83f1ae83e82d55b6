// Runtime queries of the Perennial CUDA library (see perennial_runtime.h).
#include <cuda_runtime.h>
#include "perennial_runtime.h"

extern "C" int pn_device_count(int* count) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        cudaGetLastError();   // clear the sticky error so later calls do not report it
        n = 0;
    }
    *count = n;
    return static_cast<int>(err);
}
