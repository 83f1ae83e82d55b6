/*
 * embedding.h — C ABI of the embedding gather (embedding.cu), the device form of Backend.embedding:
 *   out[i, :] = table[ids[i], :]   as float32, for i in [0, n)
 * table [vocab, dim] is contiguous (row r at element table_offset + r * dim) of dtype PN_DTYPE_F32, F16 or BF16
 * (pn_dtype.h), widened exactly; ids [n] are PN_DTYPE_I32 or PN_DTYPE_I64 starting at element ids_offset.
 * An id outside [0, vocab) cannot be rejected before the launch (the ids live on the device): the launcher
 * zeroes *error_flag (cudaMemsetAsync on the same stream) and the kernel sets it to n - i for the SMALLEST
 * position i holding a bad id (atomicMax), leaving that row of out unwritten. After synchronising, the caller
 * reads the flag: 0 = all ids valid, f > 0 = ids[n - f] is the first bad one. error_flag is a device int.
 * Returns a cudaError_t as int: 0; 1 (cudaErrorInvalidValue) for vocab/dim/n < 0, negative offsets, unknown
 * dtype codes, or null pointers with ids to check; otherwise the launch error. n == 0 clears the flag (if
 * given) and returns without launching; dim == 0 still launches, to check the ids.
 */
#ifndef PN_EMBEDDING_H
#define PN_EMBEDDING_H

#include "pn_dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

int pn_embedding(const void* table /* [vocab, dim] */, int table_dtype, long long table_offset, int vocab, int dim,
                 const void* ids /* [n] */, int ids_dtype, long long ids_offset, int n, float* out /* [n, dim] */,
                 int* error_flag /* [1] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
