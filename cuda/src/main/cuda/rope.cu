/*
 * rope.cu — rotary position embedding, forward and backward (rope.h). One 128-thread block per (t, b): the
 * block first computes the hd/2 (cos, sin) pairs of its position once into shared memory, then rotates the
 * (i, i + hd/2) pairs of all H heads of that position, so the double-precision angle work is done B*T*hd/2
 * times instead of B*H*T*hd/2 and the memory traffic is one read of x and one write of out.
 *
 * Precision: the angle is p * theta^(-2i/hd) in double exactly as ReferenceBackend/CpuBackend compute it (a
 * float angle would be off by up to ~2.4e-4 rad at p = 4095), and cos/sin come from sincospi(angle / pi) in
 * double: sincospi needs no Payne-Hanek argument reduction, so unlike sin/cos (double or float) it uses no
 * local memory (the build's -warn-lmem-usage gate rejects that), and the extra rounding of angle / pi is
 * ~1e-16 relative, far below float. cos/sin are then rounded to float and the rotation is done in float, as
 * CpuBackend does; against ReferenceBackend's all-double result the error is at most ~3 float ulps of
 * |x_i| + |x_{i+hd/2}|.
 * The backward (inverse != 0) is the same rotation by -angle: sin is negated when the table is built.
 * Reads: within a warp consecutive threads take consecutive i of one head row, so loads and stores are
 * coalesced when stride_d == 1 (out always is contiguous). Reference: ReferenceBackend.rope (RopeTest).
 */
#include "rope.h"
#include "perennial_compat.h"

#include <climits>

namespace {

constexpr int kThreads = 128;
constexpr int kMaxHalf = PN_ROPE_MAX_HEAD_DIM / 2;
constexpr double kInvPi = 0.318309886183790671538;

struct Strides {
    long long b, h, t, d;
};

__global__ void __launch_bounds__(kThreads) rope_kernel(const float* x, Strides xs, const int* positions,
                                                        int per_batch, float* out, int heads, int seq, int hd,
                                                        float theta, int inverse) {
    __shared__ float cos_table[kMaxHalf];
    __shared__ float sin_table[kMaxHalf];
    const long long t = blockIdx.x, b = blockIdx.y;
    const int half = hd / 2;
    const double p = positions[per_batch ? b * seq + t : t];
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        const double angle = p * pow(static_cast<double>(theta), -2.0 * i / hd);
        double s, c;
        sincospi(angle * kInvPi, &s, &c);
        cos_table[i] = static_cast<float>(c);
        sin_table[i] = inverse ? -static_cast<float>(s) : static_cast<float>(s);
    }
    __syncthreads();
    const float* xbt = x + b * xs.b + t * xs.t;                      // x[b, :, t, :]
    float* obt = out + (b * heads * seq + t) * hd;                   // out[b, 0, t, :]
    for (int k = threadIdx.x; k < heads * half; k += blockDim.x) {
        const int h = k / half, i = k - h * half;
        const float* xr = xbt + h * xs.h;                            // x[b, h, t, :]
        float* o = obt + static_cast<long long>(h) * seq * hd;       // out[b, h, t, :]
        const float x1 = xr[i * xs.d], x2 = xr[(i + half) * xs.d];
        const float c = cos_table[i], s = sin_table[i];
        o[i] = x1 * c - x2 * s;
        o[i + half] = x2 * c + x1 * s;
    }
}

}  // namespace

extern "C" int pn_rope(const float* x, long long stride_b, long long stride_h, long long stride_t, long long stride_d,
                       const int* positions, int positions_per_batch, float* out, int batch, int heads, int seq,
                       int head_dim, float theta, int inverse, void* stream) {
    if (batch < 0 || heads < 0 || seq < 0 || head_dim < 0 || head_dim % 2 != 0 || head_dim > PN_ROPE_MAX_HEAD_DIM
        || batch > 65535 || static_cast<long long>(heads) * (head_dim / 2) > INT_MAX
        || (positions_per_batch != 0 && positions_per_batch != 1)) {
        return cudaErrorInvalidValue;
    }
    if (batch == 0 || heads == 0 || seq == 0 || head_dim == 0) return cudaSuccess;
    if (x == nullptr || positions == nullptr || out == nullptr) return cudaErrorInvalidValue;
    const Strides xs{stride_b, stride_h, stride_t, stride_d};
    PN_LAUNCH(rope_kernel, dim3(seq, batch), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        x, xs, positions, positions_per_batch, out, heads, seq, head_dim, theta, inverse);
    return static_cast<int>(cudaGetLastError());
}
