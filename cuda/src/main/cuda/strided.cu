/*
 * strided.cu — element-wise ops over strided views (strided.h): every unary/binary op of Backend and
 * Backend.contiguous, reading transposed, narrowed, expanded and broadcast inputs in place, widening F16/BF16
 * on load (pn_half.cuh), writing a contiguous float32 output (the copies keep the element type; copy_to writes
 * into a strided output view).
 *
 * Host side: the launcher drops size-1 dims and merges neighbouring dims that are contiguous with each other in
 * every input (stride[d] == stride[d+1] * size[d+1]); a contiguous tensor, or a contiguous one broadcast against
 * a row, collapses to rank 1 or 2. The collapsed shape and strides go to the kernel by value (no device
 * allocation, no copy of the arrays), padded to PN_STRIDED_MAX_RANK so the per-dim loop unrolls with constant
 * indices (a dynamically indexed parameter array would be copied to local memory).
 * Kernel: a grid-stride loop, one output element per thread per step, 256 threads per block, at most 8192
 * blocks (8 waves of a full H100: 132 SMs x 8 resident blocks). Output writes are coalesced; input reads are
 * coalesced whenever the innermost collapsed dim has stride 1. The output index is decomposed into coordinates
 * innermost-first with one div/mod per collapsed dim beyond the first, in 32-bit arithmetic when every index
 * fits (64-bit division is several times slower); storage positions are always 64-bit. The op and dtype are
 * kernel arguments, uniform across the grid, so the switch costs no divergence.
 *
 * Math in float with CUDA's libm (glibc's on the emulated device). The activations are written in forms that
 * avoid cancellation: GELU via erfcf, GELU_TANH/QUICK_GELU/SILU/SWIGLU as x / (1 + e^{-z}) (overflow of e^{-z}
 * gives -0 for very negative x, and x = -Inf gives NaN exactly like the reference's -Inf * 0).
 * Reference: ReferenceBackend's element-wise ops and Tensor.contiguous (StridedTest in native/).
 */
#include "strided.h"
#include "pn_half.cuh"

#include <climits>

namespace {

constexpr int kThreads = 256;
constexpr long long kMaxBlocks = 8192;
constexpr int kMaxRank = PN_STRIDED_MAX_RANK;

// One input view after collapsing: element position = offset + sum_d coord_d * stride[d].
struct View {
    const void* data;
    long long offset;
    long long stride[kMaxRank];
    int dtype;  // PN_DTYPE_* for the float ops, the element size in bytes for the copy
};

// The output shape after collapsing (outermost first); n = number of elements.
struct Extent {
    long long shape[kMaxRank];
    long long n;
    int rank;
};

template <int kViews>
struct Views {
    View v[kViews];
};

// Storage positions of output element i in each view. Dims 1..rank-1 take one div/mod each; dim 0 gets the
// remaining quotient (i < n), so a rank-1 extent costs no division. `Index` is unsigned or unsigned long long.
template <typename Index, int kViews>
__device__ __forceinline__ void locate(Index i, const Extent& e, const Views<kViews>& in, long long (&pos)[kViews]) {
    PN_UNROLL
    for (int k = 0; k < kViews; k++) pos[k] = in.v[k].offset;
    PN_UNROLL
    for (int d = kMaxRank - 1; d > 0; d--) {
        if (d < e.rank) {
            const Index size = static_cast<Index>(e.shape[d]);
            const Index c = i % size;
            i /= size;
            PN_UNROLL
            for (int k = 0; k < kViews; k++) pos[k] += static_cast<long long>(c) * in.v[k].stride[d];
        }
    }
    PN_UNROLL
    for (int k = 0; k < kViews; k++) pos[k] += static_cast<long long>(i) * in.v[k].stride[0];
}

constexpr float kSqrtHalf = 0.70710678118654752f;     // 1 / sqrt(2)
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;  // sqrt(2 / pi)

__device__ __forceinline__ float unary_op(int op, float x, float s) {
    switch (op) {
        case PN_UNARY_EXP: return expf(x);
        case PN_UNARY_LOG: return logf(x);
        case PN_UNARY_SQRT: return sqrtf(x);
        case PN_UNARY_TANH: return tanhf(x);
        case PN_UNARY_ERF: return erff(x);
        case PN_UNARY_GELU: return 0.5f * x * erfcf(-x * kSqrtHalf);
        case PN_UNARY_GELU_TANH: {
            const float u = kSqrtTwoOverPi * (x + 0.044715f * x * x * x);
            return x / (1.0f + expf(-2.0f * u));      // x/2 (1 + tanh u) = x sigmoid(2u)
        }
        case PN_UNARY_QUICK_GELU: return x / (1.0f + expf(-1.702f * x));
        case PN_UNARY_SILU: return x / (1.0f + expf(-x));
        case PN_UNARY_SCALE: return x * s;
        default: return x;                              // PN_UNARY_COPY (codes are validated by the launcher)
    }
}

__device__ __forceinline__ float binary_op(int op, float a, float b) {
    switch (op) {
        case PN_BINARY_SUB: return a - b;
        case PN_BINARY_MUL: return a * b;
        case PN_BINARY_DIV: return a / b;
        case PN_BINARY_SWIGLU: return a / (1.0f + expf(-a)) * b;
        default: return a + b;                          // PN_BINARY_ADD
    }
}

template <typename Index>
__global__ void __launch_bounds__(kThreads) unary_kernel(Views<1> x, Extent e, int op, float s, float* out) {
    const Index n = static_cast<Index>(e.n);
    for (Index i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        long long p[1];
        locate<Index, 1>(i, e, x, p);
        out[i] = unary_op(op, pn::load_float(x.v[0].data, x.v[0].dtype, p[0]), s);
    }
}

template <typename Index>
__global__ void __launch_bounds__(kThreads) binary_kernel(Views<2> ab, Extent e, int op, float* out) {
    const Index n = static_cast<Index>(e.n);
    for (Index i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        long long p[2];
        locate<Index, 2>(i, e, ab, p);
        out[i] = binary_op(op, pn::load_float(ab.v[0].data, ab.v[0].dtype, p[0]),
                           pn::load_float(ab.v[1].data, ab.v[1].dtype, p[1]));
    }
}

template <typename T, typename Index>
__device__ __forceinline__ void copy_elements(const Views<1>& x, const Extent& e, void* out) {
    const Index n = static_cast<Index>(e.n);
    for (Index i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        long long p[1];
        locate<Index, 1>(i, e, x, p);
        static_cast<T*>(out)[i] = static_cast<const T*>(x.v[0].data)[p[0]];
    }
}

// View 0 is read, view 1 is written (its data pointer is the output's).
template <typename T, typename Index>
__device__ __forceinline__ void copy_to_elements(const Views<2>& xo, const Extent& e) {
    const Index n = static_cast<Index>(e.n);
    T* out = static_cast<T*>(const_cast<void*>(xo.v[1].data));
    for (Index i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        long long p[2];
        locate<Index, 2>(i, e, xo, p);
        out[p[1]] = static_cast<const T*>(xo.v[0].data)[p[0]];
    }
}

template <typename Index>
__global__ void __launch_bounds__(kThreads) copy_to_kernel(Views<2> xo, Extent e) {
    switch (xo.v[0].dtype) {                            // element size in bytes
        case 1: copy_to_elements<unsigned char, Index>(xo, e); break;
        case 2: copy_to_elements<unsigned short, Index>(xo, e); break;
        case 4: copy_to_elements<unsigned, Index>(xo, e); break;
        default: copy_to_elements<unsigned long long, Index>(xo, e); break;
    }
}

template <typename Index>
__global__ void __launch_bounds__(kThreads) copy_kernel(Views<1> x, Extent e, void* out) {
    switch (x.v[0].dtype) {                             // element size in bytes
        case 1: copy_elements<unsigned char, Index>(x, e, out); break;
        case 2: copy_elements<unsigned short, Index>(x, e, out); break;
        case 4: copy_elements<unsigned, Index>(x, e, out); break;
        default: copy_elements<unsigned long long, Index>(x, e, out); break;
    }
}

// ------------------------------------------------------------------------------------------------ host side

// Validates shape/strides and collapses them into (extent, views); false for invalid arguments.
template <int kViews>
bool collapse(const long long* shape, int rank, const long long* const (&strides)[kViews], Extent& e,
              Views<kViews>& in) {
    if (rank < 0 || rank > kMaxRank || (rank > 0 && shape == nullptr)) return false;
    e = Extent{};
    long long n = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0) return false;
        if (shape[d] > 0 && n > LLONG_MAX / shape[d]) return false;
        n *= shape[d];
    }
    e.n = n;
    if (n == 0) return true;
    for (int k = 0; k < kViews; k++) {
        if (rank > 0 && strides[k] == nullptr) return false;
        for (int d = 0; d < kMaxRank; d++) in.v[k].stride[d] = 0;
    }
    // Innermost first into (size, stride) lists, then reversed to outermost first.
    long long size[kMaxRank], stride[kViews][kMaxRank];
    int r = 0;
    for (int d = rank - 1; d >= 0; d--) {
        if (shape[d] == 1) continue;
        bool merge = r > 0;
        for (int k = 0; k < kViews && merge; k++) merge = strides[k][d] == stride[k][r - 1] * size[r - 1];
        if (merge) {
            size[r - 1] *= shape[d];
            continue;
        }
        size[r] = shape[d];
        for (int k = 0; k < kViews; k++) stride[k][r] = strides[k][d];
        r++;
    }
    e.rank = r;
    for (int d = 0; d < r; d++) {
        e.shape[d] = size[r - 1 - d];
        for (int k = 0; k < kViews; k++) in.v[k].stride[d] = stride[k][r - 1 - d];
    }
    return true;
}

// True when every storage position the views can reach, and the element count, fit a signed 32-bit index.
template <int kViews>
bool fits_32bit(const Extent& e, const Views<kViews>& in) {
    if (e.n > INT_MAX) return false;
    for (int k = 0; k < kViews; k++) {
        long long reach = in.v[k].offset;
        for (int d = 0; d < e.rank; d++) {
            const long long s = in.v[k].stride[d];
            reach += (e.shape[d] - 1) * (s < 0 ? -s : s);
        }
        if (reach > INT_MAX) return false;
    }
    return true;
}

dim3 grid_for(long long n) {
    const long long blocks = (n + kThreads - 1) / kThreads;
    return dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace

extern "C" int pn_strided_unary(int op, const void* x, int x_dtype, long long x_offset, const long long* x_strides,
                                const long long* shape, int rank, float s, float* out, void* stream) {
    if (op < PN_UNARY_COPY || op > PN_UNARY_SCALE || !pn::is_float_dtype(x_dtype) || x_offset < 0) {
        return cudaErrorInvalidValue;
    }
    Extent e;
    Views<1> in{};
    const long long* const strides[1] = {x_strides};
    if (!collapse<1>(shape, rank, strides, e, in)) return cudaErrorInvalidValue;
    if (e.n == 0) return cudaSuccess;
    if (x == nullptr || out == nullptr) return cudaErrorInvalidValue;
    in.v[0].data = x;
    in.v[0].offset = x_offset;
    in.v[0].dtype = x_dtype;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (fits_32bit<1>(e, in)) {
        PN_LAUNCH(unary_kernel<unsigned>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, op, s, out);
    } else {
        PN_LAUNCH(unary_kernel<unsigned long long>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, op, s, out);
    }
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_strided_binary(int op, const void* a, int a_dtype, long long a_offset, const long long* a_strides,
                                 const void* b, int b_dtype, long long b_offset, const long long* b_strides,
                                 const long long* shape, int rank, float* out, void* stream) {
    if (op < PN_BINARY_ADD || op > PN_BINARY_SWIGLU || !pn::is_float_dtype(a_dtype) || !pn::is_float_dtype(b_dtype)
        || a_offset < 0 || b_offset < 0) {
        return cudaErrorInvalidValue;
    }
    Extent e;
    Views<2> in{};
    const long long* const strides[2] = {a_strides, b_strides};
    if (!collapse<2>(shape, rank, strides, e, in)) return cudaErrorInvalidValue;
    if (e.n == 0) return cudaSuccess;
    if (a == nullptr || b == nullptr || out == nullptr) return cudaErrorInvalidValue;
    in.v[0].data = a;
    in.v[0].offset = a_offset;
    in.v[0].dtype = a_dtype;
    in.v[1].data = b;
    in.v[1].offset = b_offset;
    in.v[1].dtype = b_dtype;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (fits_32bit<2>(e, in)) {
        PN_LAUNCH(binary_kernel<unsigned>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, op, out);
    } else {
        PN_LAUNCH(binary_kernel<unsigned long long>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, op, out);
    }
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_strided_copy(const void* x, int elem_bytes, long long x_offset, const long long* x_strides,
                               const long long* shape, int rank, void* out, void* stream) {
    if ((elem_bytes != 1 && elem_bytes != 2 && elem_bytes != 4 && elem_bytes != 8) || x_offset < 0) {
        return cudaErrorInvalidValue;
    }
    Extent e;
    Views<1> in{};
    const long long* const strides[1] = {x_strides};
    if (!collapse<1>(shape, rank, strides, e, in)) return cudaErrorInvalidValue;
    if (e.n == 0) return cudaSuccess;
    if (x == nullptr || out == nullptr) return cudaErrorInvalidValue;
    in.v[0].data = x;
    in.v[0].offset = x_offset;
    in.v[0].dtype = elem_bytes;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (fits_32bit<1>(e, in)) {
        PN_LAUNCH(copy_kernel<unsigned>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, out);
    } else {
        PN_LAUNCH(copy_kernel<unsigned long long>, grid_for(e.n), dim3(kThreads), 0, st)(in, e, out);
    }
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_strided_copy_to(const void* x, int elem_bytes, long long x_offset, const long long* x_strides,
                                  const long long* shape, int rank, void* out, long long out_offset,
                                  const long long* out_strides, void* stream) {
    if ((elem_bytes != 1 && elem_bytes != 2 && elem_bytes != 4 && elem_bytes != 8) || x_offset < 0 || out_offset < 0) {
        return cudaErrorInvalidValue;
    }
    Extent e;
    Views<2> io{};
    const long long* const strides[2] = {x_strides, out_strides};
    if (!collapse<2>(shape, rank, strides, e, io)) return cudaErrorInvalidValue;
    if (e.n == 0) return cudaSuccess;
    if (x == nullptr || out == nullptr) return cudaErrorInvalidValue;
    io.v[0].data = x;
    io.v[0].offset = x_offset;
    io.v[0].dtype = elem_bytes;
    io.v[1].data = out;
    io.v[1].offset = out_offset;
    io.v[1].dtype = elem_bytes;
    const cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (fits_32bit<2>(e, io)) {
        PN_LAUNCH(copy_to_kernel<unsigned>, grid_for(e.n), dim3(kThreads), 0, st)(io, e);
    } else {
        PN_LAUNCH(copy_to_kernel<unsigned long long>, grid_for(e.n), dim3(kThreads), 0, st)(io, e);
    }
    return static_cast<int>(cudaGetLastError());
}
