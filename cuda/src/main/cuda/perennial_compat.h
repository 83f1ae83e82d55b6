/*
 * perennial_compat.h — the only portability shim between the real CUDA build (nvcc, cuda/pom.xml) and the
 * emulated device (g++ against simt_emu.h, native/pom.xml). Kernel sources include this instead of
 * <cuda_runtime.h> and launch with PN_LAUNCH, so the same .cu compiles both ways unchanged.
 *
 *   PN_LAUNCH(kernel, grid, block, smem_bytes, stream)(args...)   == kernel<<<grid, block, smem, stream>>>(args...)
 *   PN_DYN_SHARED(T, name);   declares `T* name` pointing at the launch's dynamic shared memory
 *   PN_UNROLL                 before a loop with a constant trip count: unroll it fully (#pragma unroll under
 *                             nvcc, GCC unroll under g++, which warns about the unknown CUDA pragma)
 */
#ifndef PERENNIAL_COMPAT_H
#define PERENNIAL_COMPAT_H

#ifdef __CUDACC__
#include <cuda_runtime.h>
#define PN_LAUNCH(kernel, grid, block, smem, stream) kernel<<<(grid), (block), (smem), (stream)>>>
#define PN_DYN_SHARED(T, name)                                  \
    extern __shared__ __align__(16) unsigned char pn_dyn_smem_[]; \
    T* name = reinterpret_cast<T*>(pn_dyn_smem_)
#define PN_UNROLL _Pragma("unroll")
#else
#include "simt_emu.h"
#define PN_LAUNCH(kernel, grid, block, smem, stream) ::simt::launch((kernel), (grid), (block), (smem), (stream))
#define PN_DYN_SHARED(T, name) T* name = reinterpret_cast<T*>(::simt::dynamic_smem())
#define PN_UNROLL _Pragma("GCC unroll 16")
#endif

#endif
