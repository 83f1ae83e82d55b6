/*
 * strided.h — C ABI of the strided element-wise kernels (strided.cu): the device form of Backend's unary and
 * binary element-wise ops and of Backend.contiguous, reading their inputs as strided views in place.
 *
 * A view is (data, dtype, offset, strides) over a logical shape [rank] (rank 0..PN_STRIDED_MAX_RANK; rank 0 is
 * a scalar): element (c_0, ..., c_{rank-1}) sits at data[offset + sum_d c_d * strides[d]], all in elements and
 * 64-bit (strides may be 0 for broadcast/expanded dims). `shape` and the stride arrays are HOST pointers read
 * by the launcher before it returns (it collapses mergeable dims and passes them by value to the kernel); the
 * data pointers are device pointers (host pointers on the emulated device). Outputs are contiguous row-major
 * [shape] and must not overlap the inputs.
 *
 * pn_strided_unary:  out = f(x) as float32, x of dtype PN_DTYPE_F32/F16/BF16 (pn_dtype.h), widened exactly:
 *   COPY x | EXP e^x | LOG ln x | SQRT | TANH | ERF | GELU x/2 (1 + erf(x/sqrt 2)) (evaluated as
 *   x/2 erfc(-x/sqrt 2), no cancellation for x < 0) | GELU_TANH x/2 (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3)
 *   (evaluated as x / (1 + e^{-2u})) | QUICK_GELU x sigmoid(1.702 x) | SILU x sigmoid(x) | SCALE x * s.
 *   `s` is used by SCALE only.
 * pn_strided_binary: out[shape] = f(a, b), NumPy broadcasting expressed by the caller as stride 0 in the
 *   broadcast dims of each input (both inputs are given over the OUTPUT shape):
 *   ADD a + b | SUB a - b | MUL a * b | DIV a / b | SWIGLU silu(a) * b.
 * pn_strided_copy:   out = x bit for bit (any element type of 1, 2, 4 or 8 bytes): Backend.contiguous keeping
 *   the dtype.
 * pn_strided_copy_to: the same copy into a strided output view (out, out_offset, out_strides) instead of a
 *   contiguous one: Backend.copyInto (the next positions of a KV cache, a part of a concatenation). The output
 *   view must not overlap x and must not map two coordinates to one element.
 * IEEE semantics throughout (NaN propagates, x/0 = ±Inf, ln 0 = -Inf, sqrt(-1) = NaN), as ReferenceBackend.
 *
 * Returns a cudaError_t as int: 0; 1 (cudaErrorInvalidValue) for an unknown op or dtype code, rank outside
 * 0..6, a negative size or offset, an element size other than 1/2/4/8, or a null pointer where elements
 * exist; otherwise the launch error. A shape with a zero size returns 0 without launching.
 */
#ifndef PN_STRIDED_H
#define PN_STRIDED_H

#include "pn_dtype.h"

#define PN_STRIDED_MAX_RANK 6

#define PN_UNARY_COPY 0
#define PN_UNARY_EXP 1
#define PN_UNARY_LOG 2
#define PN_UNARY_SQRT 3
#define PN_UNARY_TANH 4
#define PN_UNARY_ERF 5
#define PN_UNARY_GELU 6
#define PN_UNARY_GELU_TANH 7
#define PN_UNARY_QUICK_GELU 8
#define PN_UNARY_SILU 9
#define PN_UNARY_SCALE 10

#define PN_BINARY_ADD 0
#define PN_BINARY_SUB 1
#define PN_BINARY_MUL 2
#define PN_BINARY_DIV 3
#define PN_BINARY_SWIGLU 4

#ifdef __cplusplus
extern "C" {
#endif

int pn_strided_unary(int op, const void* x, int x_dtype, long long x_offset, const long long* x_strides /* [rank] */,
                     const long long* shape /* [rank] */, int rank, float s, float* out /* [shape] */,
                     void* stream);

int pn_strided_binary(int op, const void* a, int a_dtype, long long a_offset, const long long* a_strides /* [rank] */,
                      const void* b, int b_dtype, long long b_offset, const long long* b_strides /* [rank] */,
                      const long long* shape /* [rank] */, int rank, float* out /* [shape] */, void* stream);

int pn_strided_copy(const void* x, int elem_bytes, long long x_offset, const long long* x_strides /* [rank] */,
                    const long long* shape /* [rank] */, int rank, void* out /* [shape] */, void* stream);

int pn_strided_copy_to(const void* x, int elem_bytes, long long x_offset, const long long* x_strides /* [rank] */,
                       const long long* shape /* [rank] */, int rank, void* out, long long out_offset,
                       const long long* out_strides /* [rank] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
