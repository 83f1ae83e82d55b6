/*
 * dropout.h — C ABI of the dropout-mask kernel (dropout.cu), the device form of Backend.dropoutMask:
 *   out[i] = keep   if u_i >= p, else 0,   for i in [0, n)
 *   u_i    = (mix64(seed + (i + 1) * 0x9e3779b97f4a7c15) >> 11) * 2^-53     (64-bit wrapping arithmetic)
 * where mix64 is java.util.SplittableRandom's finalizer, so u_i is the i-th nextDouble() of SplittableRandom(seed)
 * and the mask equals tensor.DropoutMask.host bit for bit. keep is 1 / (1 - p) as the caller rounded it to float.
 * out is a device pointer (a host pointer on the emulated device). Returns a cudaError_t as int: 0;
 * 1 (cudaErrorInvalidValue) for n < 0, n > 2^31 - 1, p outside [0, 1) or a null out with n > 0; otherwise the
 * launch error. n == 0 returns 0 without launching.
 */
#ifndef PN_DROPOUT_H
#define PN_DROPOUT_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_dropout_mask(long long seed, float p, float keep, long long n, float* out /* [n] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
