/*
 * pn_emu.cpp — the emulated device's own C ABI (pn_emu.h): run-order control and the last launch message
 * forwarded to simt_emu.h, plus the deliberately divergent kernel the strictness test launches.
 */
#include "pn_emu.h"
#include "perennial_compat.h"

namespace {

__global__ void barrier_divergence_kernel(int* out) {
    if (threadIdx.x >= blockDim.x / 2) return;   // the bug under test: early exit before the barrier
    __syncthreads();
    out[threadIdx.x] = 1;
}

}  // namespace

extern "C" void pn_emu_set_order(int order) { simt::set_order(order); }

extern "C" const char* pn_emu_last_message(void) { return simt::last_message(); }

extern "C" int pn_emu_barrier_divergence(int threads) {
    int out[1024] = {};
    if (threads < 2 || threads > 1024) return cudaErrorInvalidValue;
    PN_LAUNCH(barrier_divergence_kernel, dim3(1), dim3(threads), 0, nullptr)(out);
    return static_cast<int>(cudaGetLastError());
}
