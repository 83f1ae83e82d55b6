/*
 * pn_half.cuh — bit-exact widening of F16 and BF16 to float32 and the typed loads built on it, for every kernel
 * that reads weights in their stored precision (strided, norms, embedding). Written with integer bit
 * manipulation instead of __half2float because the emulated device (simt_emu.h, g++) has no cuda_fp16.h; the
 * same code runs in both builds and gives the same bits as dev.perennial.tensor.Half.f16ToFloat/bf16ToFloat:
 *   F16: Inf/NaN keep their payload; otherwise the 15 magnitude bits shifted into float position are 2^-112
 *        times the value (half subnormals land on float subnormals), so one exact multiply by 2^112 rebiases
 *        the exponent. Needs IEEE denormals (no -ftz / --use_fast_math, which the builds do not use).
 *   BF16: the 16 bits are the upper half of a float.
 */
#ifndef PN_HALF_CUH
#define PN_HALF_CUH

#include "perennial_compat.h"
#include "pn_dtype.h"

namespace pn {

__device__ __forceinline__ float f16_to_float(unsigned short h) {
    const unsigned sign = (h & 0x8000u) << 16;
    const unsigned magnitude = (h & 0x7fffu) << 13;
    if ((h & 0x7c00u) == 0x7c00u) return __uint_as_float(sign | 0x7f800000u | magnitude);
    return __uint_as_float(sign | __float_as_uint(__uint_as_float(magnitude) * 0x1p112f));
}

__device__ __forceinline__ float bf16_to_float(unsigned short b) { return __uint_as_float(static_cast<unsigned>(b) << 16); }

// Element i (in elements, may exceed 2^31) of a PN_DTYPE_F32/F16/BF16 array, as float.
__device__ __forceinline__ float load_float(const void* base, int dtype, long long i) {
    if (dtype == PN_DTYPE_F16) return f16_to_float(static_cast<const unsigned short*>(base)[i]);
    if (dtype == PN_DTYPE_BF16) return bf16_to_float(static_cast<const unsigned short*>(base)[i]);
    return static_cast<const float*>(base)[i];
}

// True for the codes load_float accepts (launchers validate with it before launching).
__host__ __device__ __forceinline__ bool is_float_dtype(int dtype) {
    return dtype == PN_DTYPE_F32 || dtype == PN_DTYPE_F16 || dtype == PN_DTYPE_BF16;
}

}  // namespace pn

#endif
