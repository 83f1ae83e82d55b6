/*
 * softmax_rows.h — C ABI of the row softmax kernel (softmax_rows.cu), the device form of
 * Backend.softmax(x, scale, mask) on a contiguous [rows, cols] float32 matrix:
 *   out[r, j] = exp(s[r, j] - max_j s[r, :]) / sum_j exp(s[r, j] - max)   with s = scale * in + mask[r % mask_rows]
 * A row whose s entries are all -inf gives zeros (not NaN), as Backend.softmax does.
 * Pointers are device pointers (host pointers on the emulated device); mask may be null (then mask_rows is
 * ignored), otherwise it is [mask_rows, cols] with rows % mask_rows == 0 (a mask shared by heads/batches).
 * Returns a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) for bad sizes, or the launch error.
 */
#ifndef PN_SOFTMAX_ROWS_H
#define PN_SOFTMAX_ROWS_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_softmax_rows(const float* in /* [rows, cols] */, const float* mask /* [mask_rows, cols] or null */,
                    float* out /* [rows, cols] */, int rows, int cols, int mask_rows, float scale, void* stream);

#ifdef __cplusplus
}
#endif

#endif
