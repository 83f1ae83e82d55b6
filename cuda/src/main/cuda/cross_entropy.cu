/*
 * cross_entropy.cu — cross-entropy loss forward and backward over rows of logits (cross_entropy.h).
 *
 * Forward: one block of 128 threads per row and ONE pass over it: each thread folds its strided logits into an
 * online log-sum-exp (running max m and sum e^{x - m}, pn_online_softmax.cuh), the block merges them and thread 0
 * writes lse and loss = (m - x_t) + ln s (no subtraction of two lse-sized numbers). Ignored rows return before
 * reading anything: in a LLaVA batch most positions (image tokens, prompt) are ignored, so this skips most of
 * the traffic. Backward: one block of 128 threads per row writes e^{x - lse} - [v == t] scaled by dloss with
 * coalesced strided loops (read V, write V floats per row). Both are memory bound.
 * References: ReferenceBackend.crossEntropy (forward) and the gradient formula in double (CrossEntropyTest).
 */
#include "cross_entropy.h"
#include "pn_online_softmax.cuh"

namespace {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads) cross_entropy_forward_kernel(const float* logits, const int* targets,
                                                                         int V, int ignore_index, float* loss,
                                                                         float* lse) {
    __shared__ float partials[2 * 32];
    const long long row = blockIdx.x;
    const int t = targets[row];
    if (t == ignore_index) {                                               // uniform over the block
        if (threadIdx.x == 0) {
            loss[row] = 0.0f;
            lse[row] = 0.0f;
        }
        return;
    }
    const float* x = logits + row * V;                                     // [V]
    pn::OnlineLse o = pn::lse_empty();
    for (int j = threadIdx.x; j < V; j += blockDim.x) pn::lse_push(o, x[j]);
    o = pn::block_lse(o, partials);
    if (threadIdx.x != 0) return;
    const float log_s = logf(o.s);
    lse[row] = o.m + log_s;
    loss[row] = (t >= 0 && t < V) ? (o.m - x[t]) + log_s : NAN;
}

__global__ void __launch_bounds__(kThreads) cross_entropy_backward_kernel(const float* logits, const int* targets,
                                                                          const float* lse, const float* dloss,
                                                                          int V, int ignore_index, float* dlogits) {
    const long long row = blockIdx.x;
    const int t = targets[row];
    const float* x = logits + row * V;                                     // [V]
    float* dx = dlogits + row * V;                                         // [V]
    if (t == ignore_index) {
        for (int j = threadIdx.x; j < V; j += blockDim.x) dx[j] = 0.0f;
        return;
    }
    if (t < 0 || t >= V) {
        for (int j = threadIdx.x; j < V; j += blockDim.x) dx[j] = NAN;
        return;
    }
    const float l = lse[row], g = dloss[row];
    for (int j = threadIdx.x; j < V; j += blockDim.x) {
        const float p = __expf(x[j] - l);
        dx[j] = g * (j == t ? p - 1.0f : p);
    }
}

}  // namespace

extern "C" int pn_cross_entropy_forward(const float* logits, const int* targets, int N, int V, int ignore_index,
                                        float* loss, float* lse, void* stream) {
    if (N < 0 || (N > 0 && (V < 1 || !logits || !targets || !loss || !lse))) return cudaErrorInvalidValue;
    if (N == 0) return cudaSuccess;
    PN_LAUNCH(cross_entropy_forward_kernel, dim3(N), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        logits, targets, V, ignore_index, loss, lse);
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_cross_entropy_backward(const float* logits, const int* targets, const float* lse,
                                         const float* dloss, int N, int V, int ignore_index, float* dlogits,
                                         void* stream) {
    if (N < 0 || (N > 0 && (V < 1 || !logits || !targets || !lse || !dloss || !dlogits))) {
        return cudaErrorInvalidValue;
    }
    if (N == 0) return cudaSuccess;
    PN_LAUNCH(cross_entropy_backward_kernel, dim3(N), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        logits, targets, lse, dloss, V, ignore_index, dlogits);
    return static_cast<int>(cudaGetLastError());
}
