/*
 * embedding.cu — gather of embedding rows with exact F16/BF16 widening and device-side id validation
 * (embedding.h). One 128-thread block per position i: every thread reads ids[i] (one broadcast load), the block
 * either copies the row with coalesced, thread-strided loads/stores or, for an id outside [0, vocab), has
 * thread 0 record n - i with atomicMax (so the smallest bad position wins regardless of block order) and
 * writes nothing. Pure data movement: n * dim * (sizeof(table element) + 4) bytes.
 * Reference: ReferenceBackend.embedding (EmbeddingTest in native/).
 */
#include "embedding.h"
#include "pn_half.cuh"

namespace {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads) embedding_kernel(const void* table, int table_dtype, long long table_offset,
                                                             int vocab, int dim, const void* ids, int ids_dtype,
                                                             long long ids_offset, int n, float* out, int* error_flag) {
    const long long i = blockIdx.x;
    const long long id = ids_dtype == PN_DTYPE_I64 ? static_cast<const long long*>(ids)[ids_offset + i]
                                                   : static_cast<const int*>(ids)[ids_offset + i];
    if (id < 0 || id >= vocab) {
        if (threadIdx.x == 0) atomicMax(error_flag, n - static_cast<int>(i));
        return;
    }
    const long long row = table_offset + id * dim;                   // table[id, :]
    float* o = out + i * dim;                                        // out[i, :]
    for (int j = threadIdx.x; j < dim; j += blockDim.x) o[j] = pn::load_float(table, table_dtype, row + j);
}

}  // namespace

extern "C" int pn_embedding(const void* table, int table_dtype, long long table_offset, int vocab, int dim,
                            const void* ids, int ids_dtype, long long ids_offset, int n, float* out, int* error_flag,
                            void* stream) {
    if (vocab < 0 || dim < 0 || n < 0 || table_offset < 0 || ids_offset < 0 || !pn::is_float_dtype(table_dtype)
        || (ids_dtype != PN_DTYPE_I32 && ids_dtype != PN_DTYPE_I64)) {
        return cudaErrorInvalidValue;
    }
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (n == 0) return error_flag ? static_cast<int>(cudaMemsetAsync(error_flag, 0, sizeof(int), st)) : cudaSuccess;
    if (ids == nullptr || error_flag == nullptr || (dim > 0 && (table == nullptr || out == nullptr))) {
        return cudaErrorInvalidValue;
    }
    const cudaError_t cleared = cudaMemsetAsync(error_flag, 0, sizeof(int), st);
    if (cleared != cudaSuccess) return static_cast<int>(cleared);
    PN_LAUNCH(embedding_kernel, dim3(n), dim3(kThreads), 0, st)(table, table_dtype, table_offset, vocab, dim, ids,
                                                                 ids_dtype, ids_offset, n, out, error_flag);
    return static_cast<int>(cudaGetLastError());
}
