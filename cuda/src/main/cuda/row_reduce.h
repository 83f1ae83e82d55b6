/*
 * row_reduce.h — C ABI of the reductions over the last dimension of a contiguous [rows, cols] float32 matrix
 * (row_reduce.cu), the device forms of Backend.sum / mean / max (dim = -1, keepDim = false), Backend.argmax and
 * Backend.logSoftmax. All pointers are device pointers (host pointers on the emulated device).
 *
 * pn_row_reduce(in [rows, cols], out [rows], op):
 *   PN_ROW_SUM   out[r] = sum_j in[r, j]        (cols == 0 -> 0)
 *   PN_ROW_MEAN  out[r] = sum_j in[r, j] / cols (cols == 0 -> NaN, 0/0 as in ReferenceBackend)
 *   PN_ROW_MAX   out[r] = max_j in[r, j]; a NaN anywhere in the row gives NaN (torch.max, ReferenceBackend.max);
 *                cols == 0 is an error (max of nothing)
 * pn_row_argmax(in [rows, cols], out [rows] int32): index of the largest element; NaN ranks below every number
 *   (-inf included), ties go to the lower index, an all-NaN row gives 0. cols == 0 is an error.
 * pn_log_softmax_rows(in, mask, out [rows, cols]): out[r, j] = s[r, j] - ln sum_j e^{s[r, j]} with
 *   s = in + mask[r % mask_rows] (mask [mask_rows, cols] or null, rows % mask_rows == 0, shared as in
 *   softmax_rows); a row whose s are all -inf gives -inf everywhere, a NaN in s gives a NaN row.
 *
 * Returns a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) for negative sizes, an unknown op, cols == 0 where
 * it is an error (with rows > 0), a bad mask_rows, or null in/out with rows > 0; rows == 0 returns 0 without a
 * launch.
 */
#ifndef PN_ROW_REDUCE_H
#define PN_ROW_REDUCE_H

#ifdef __cplusplus
extern "C" {
#endif

enum { PN_ROW_SUM = 0, PN_ROW_MEAN = 1, PN_ROW_MAX = 2 };

int pn_row_reduce(const float* in /* [rows, cols] */, float* out /* [rows] */, int rows, int cols, int op,
                  void* stream);

int pn_row_argmax(const float* in /* [rows, cols] */, int* out /* [rows] */, int rows, int cols, void* stream);

int pn_log_softmax_rows(const float* in /* [rows, cols] */, const float* mask /* [mask_rows, cols] or null */,
                        float* out /* [rows, cols] */, int rows, int cols, int mask_rows, void* stream);

#ifdef __cplusplus
}
#endif

#endif
