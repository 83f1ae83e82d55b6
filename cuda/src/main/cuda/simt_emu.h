/*
 * simt_emu.h — a small SIMT emulator so the unmodified CUDA kernels of cuda/ compile with g++ (C++20) and run
 * on the CPU in JUnit (the "emulated device", docs/architecture.md; design: docs/toolchain.md §2).
 *
 * Model:
 *  - A launch runs its blocks one after another on the calling OS thread (so concurrent JVM threads each run
 *    their own launches). Device memory is host memory.
 *  - Every CUDA thread of a block is a fiber with a 64 KiB stack (stacks are pooled per OS thread and reused
 *    by later launches). Fibers switch with a few instructions of x86-64 assembly that save only the
 *    callee-saved registers and the FP control words (glibc's swapcontext also saves the signal mask with a
 *    system call on every switch: the tiny-LLaVA backward through the CUDA backend took 115 s with it, 9 s
 *    without). The scheduler runs each ready
 *    fiber until it finishes or blocks at __syncthreads() or a warp collective (__syncwarp, __shfl_*_sync),
 *    then releases: first one warp collective whose named lanes have all arrived (computing the shuffle results
 *    for all of them at once; the first such warp in fiber order), otherwise the whole block at a barrier when
 *    every live thread is waiting there. Releasing one warp at a time lets that warp run on to its next
 *    collective or barrier while the others wait, so warps drift apart between barriers as on hardware (warp 0
 *    runs ahead in the forward order, the last warp in the reverse order): a kernel that overwrites shared memory
 *    another warp may still read, without a __syncthreads() between, reads the wrong data in one of the orders.
 *  - __shared__ is `static thread_local`: one copy per OS thread, reused by consecutive blocks (CUDA shared
 *    memory is uninitialised at block start, so kernels may not rely on its contents either way).
 *  - Strict errors instead of hangs or silent garbage: a barrier reached after some threads of the block exited,
 *    threads blocked at different kinds of synchronisation, a collective naming an exited or missing lane, or
 *    lanes of one collective disagreeing on the mask/operation -> the launch stops and cudaGetLastError()
 *    returns cudaErrorLaunchFailure (719); simt::last_message() says why.
 *  - Fiber run order between synchronisation points is forward (thread 0 first) or reverse (simt::set_order),
 *    so one test suite can run both orders and catch a missing __syncthreads()/__syncwarp().
 *  - Warp-wide instructions that need every lane's operands at once (the tensor-core mma.sync and ldmatrix of
 *    simt_mma.cuh) are a warp exchange: each of the 32 lanes posts a pointer to its operands and blocks; when all
 *    32 have arrived, one function computes every lane's result from all the operands (warp_exchange below).
 * Not emulated: lock-step warps, weak memory, grid sync, cooperative groups, wmma/wgmma, textures, fp16
 * intrinsics, occupancy/register limits (ptxas checks those, cuda/pom.xml). __expf is expf and the float math
 * functions (expf, erfcf, tanhf, ...) are glibc's, so results are close to, not bitwise equal with, a GPU.
 * Streams are not emulated: launches and cudaMemsetAsync complete before they return.
 */
#ifndef SIMT_EMU_H
#define SIMT_EMU_H

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

// ---------------------------------------------------------------------------------------------- CUDA surface

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct uint3 { unsigned x, y, z; };

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

typedef void* cudaStream_t;
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorLaunchFailure = 719,
};

constexpr int warpSize = 32;

// Set by the scheduler before it switches into a fiber; blockIdx/blockDim/gridDim once per block/launch.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

inline float __expf(float x) { return std::exp(x); }
// Round-to-nearest double arithmetic that nvcc may not contract into an FMA; x86-64 g++ without -mfma never does.
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }

// CUDA's device isnan(float): the <cmath> one, visible unqualified as in device code.
using std::isnan;

namespace simt {

inline std::atomic<int> g_order{0};
// 0 = forward (thread 0 first), 1 = reverse.
inline void set_order(int order) { g_order.store(order == 1 ? 1 : 0); }

inline thread_local cudaError_t t_last_error = cudaSuccess;
inline thread_local std::string t_message;
inline const char* last_message() { return t_message.c_str(); }

// One pending warp collective: what a lane asked for. Values travel as 64-bit patterns.
enum class Op { none, syncwarp, shfl_down, shfl_xor, exchange };

enum class State { ready, at_barrier, at_warp, done };

// pn_simt_switch(&from_sp, to_sp): saves the callee-saved registers and the MXCSR / x87 control words on the
// current stack, stores the stack pointer in *from_sp, and resumes the context whose stack pointer is to_sp.
// A local symbol in every translation unit that includes this header (no link-time clash).
extern "C" void pn_simt_switch(void** from_sp, void* to_sp);
asm(R"(
    .text
    .p2align 4
    .type pn_simt_switch, @function
pn_simt_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size pn_simt_switch, .-pn_simt_switch
)");

struct Fiber {
    void* sp = nullptr;          // saved stack pointer while the fiber is switched out
    char* stack = nullptr;       // from the per-thread pool
    State state = State::ready;
    uint3 tid{0, 0, 0};
    Op op = Op::none;
    unsigned mask = 0;
    int arg = 0;                 // delta or lane mask of the shuffle
    int width = warpSize;
    std::uint64_t value = 0;     // in: the lane's value; out: the shuffle result
    void (*exchange)(void* const* io) = nullptr;   // Op::exchange: computes all 32 lanes' results
    void* io = nullptr;          // Op::exchange: this lane's operands and result slots
};

constexpr std::size_t kStackBytes = 64 * 1024;
constexpr unsigned kMaxThreads = 1024;
constexpr std::size_t kMaxDynamicSmem = 48 * 1024;

// Fiber stacks of this OS thread, reused by every launch (at most kMaxThreads of them).
inline thread_local std::vector<std::unique_ptr<char[]>> t_stacks;

inline char* pooled_stack(std::size_t i) {
    while (t_stacks.size() <= i) t_stacks.emplace_back(new char[kStackBytes]);
    return t_stacks[i].get();
}

// The block being run on this OS thread.
struct Block {
    std::vector<Fiber> fibers;
    void* main_sp = nullptr;      // the scheduler's stack pointer while a fiber runs
    int current = -1;
    void (*body)(void*) = nullptr;
    void* body_arg = nullptr;
    std::vector<unsigned char> dynamic_smem;
};

inline thread_local Block* t_block = nullptr;

inline unsigned char* dynamic_smem() { return t_block->dynamic_smem.data(); }

inline void fail(const std::string& why) {
    if (t_last_error == cudaSuccess) {
        t_last_error = cudaErrorLaunchFailure;
        t_message = "simt: block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + ","
                + std::to_string(blockIdx.z) + "): " + why;
    }
}

[[noreturn]] inline void fiber_entry() {
    Block* b = t_block;
    b->body(b->body_arg);
    b->fibers[b->current].state = State::done;
    pn_simt_switch(&b->fibers[b->current].sp, b->main_sp);   // never resumed
    __builtin_unreachable();
}

// A fresh context on `stack` that starts in fiber_entry: the frame pn_simt_switch pops (control words, six
// callee-saved registers, return address = fiber_entry) with the alignment of a called function.
inline void* initial_sp(char* stack) {
    auto top = reinterpret_cast<std::uintptr_t>(stack + kStackBytes) & ~std::uintptr_t{15};
    auto* slot = reinterpret_cast<std::uint64_t*>(top);
    slot[-1] = 0;                                                        // fiber_entry's (unused) return address
    slot[-2] = reinterpret_cast<std::uint64_t>(&fiber_entry);            // popped by ret
    for (int r = 3; r <= 8; r++) slot[-r] = 0;                           // rbp rbx r12 r13 r14 r15
    std::uint32_t csr[2] = {0x1F80u, 0x037Fu};                           // default MXCSR, x87 control word
    std::memcpy(&slot[-9], csr, sizeof csr);
    return &slot[-9];
}

// Called on a fiber: park it in `state` and return to the scheduler.
inline void block_here(State state) {
    Block* b = t_block;
    Fiber& f = b->fibers[b->current];
    f.state = state;
    pn_simt_switch(&f.sp, b->main_sp);
}

// Releases the first warp collective (in fiber order: lowest warp forward, highest reverse) whose named lanes have
// all arrived. Returns true if one was released; records an error (and returns false) for collectives that can
// never complete.
inline bool release_warps(Block& b, bool& error) {
    const int n = static_cast<int>(b.fibers.size());
    const int warps = (n + warpSize - 1) / warpSize;
    const bool reverse = g_order.load() == 1;
    for (int k = 0; k < warps; k++) {
        const int w = reverse ? warps - 1 - k : k;
        const int base = w * warpSize;
        int first = -1;
        for (int l = 0; l < warpSize && base + l < n; l++) {
            if (b.fibers[base + l].state == State::at_warp) { first = base + l; break; }
        }
        if (first < 0) continue;
        const unsigned mask = b.fibers[first].mask;
        const Op op = b.fibers[first].op;
        bool complete = true;
        for (int l = 0; l < warpSize; l++) {
            if (!(mask >> l & 1u)) continue;
            if (base + l >= n) { fail("warp collective names lane " + std::to_string(l) + " that does not exist"); error = true; return false; }
            const Fiber& f = b.fibers[base + l];
            if (f.state == State::done) { fail("warp collective names lane " + std::to_string(l) + " of warp " + std::to_string(w) + " that has exited"); error = true; return false; }
            if (f.state != State::at_warp) { complete = false; continue; }
            if (f.mask != mask || f.op != op || f.exchange != b.fibers[first].exchange) { fail("lanes of warp " + std::to_string(w) + " wait at different collectives"); error = true; return false; }
        }
        if (!complete) continue;
        if (op == Op::exchange) {
            if (mask != 0xffffffffu) { fail("a warp-wide instruction (mma/ldmatrix) needs all 32 lanes of warp " + std::to_string(w)); error = true; return false; }
            void* io[warpSize];
            for (int l = 0; l < warpSize; l++) io[l] = b.fibers[base + l].io;
            b.fibers[first].exchange(io);
            for (int l = 0; l < warpSize; l++) b.fibers[base + l].state = State::ready;
            return true;
        }
        std::uint64_t in[warpSize];
        for (int l = 0; l < warpSize; l++) in[l] = (mask >> l & 1u) ? b.fibers[base + l].value : 0;
        for (int l = 0; l < warpSize; l++) {
            if (!(mask >> l & 1u)) continue;
            Fiber& f = b.fibers[base + l];
            const int seg = l / f.width * f.width;
            int src = l;
            if (op == Op::shfl_down) src = l + f.arg < seg + f.width ? l + f.arg : l;
            if (op == Op::shfl_xor) src = (l ^ f.arg) < seg + f.width ? (l ^ f.arg) : l;
            if (!(mask >> src & 1u)) { fail("shuffle reads lane " + std::to_string(src) + " outside the mask"); error = true; return false; }
            f.value = in[src];
            f.state = State::ready;
        }
        return true;
    }
    return false;
}

// Runs one block to completion; false if it failed (the error is recorded).
inline bool run_block(Block& b) {
    const int n = static_cast<int>(b.fibers.size());
    for (int i = 0; i < n; i++) {
        Fiber& f = b.fibers[i];
        if (!f.stack) f.stack = pooled_stack(static_cast<std::size_t>(i));
        f.state = State::ready;
        f.op = Op::none;
        f.sp = initial_sp(f.stack);
    }
    const bool reverse = g_order.load() == 1;
    for (;;) {
        bool ran = false;
        for (int k = 0; k < n; k++) {
            const int i = reverse ? n - 1 - k : k;
            Fiber& f = b.fibers[i];
            if (f.state != State::ready) continue;
            ran = true;
            b.current = i;
            threadIdx = f.tid;
            pn_simt_switch(&b.main_sp, f.sp);
        }
        if (ran) continue;
        bool error = false;
        if (release_warps(b, error)) continue;
        if (error) return false;
        int done = 0, barrier = 0;
        for (const Fiber& f : b.fibers) {
            done += f.state == State::done;
            barrier += f.state == State::at_barrier;
        }
        if (done == n) return true;
        if (barrier == n) {
            for (Fiber& f : b.fibers) f.state = State::ready;
            continue;
        }
        if (barrier > 0 && done > 0) {
            fail("__syncthreads() reached after some threads of the block exited (barrier divergence)");
        } else if (barrier > 0) {
            fail("threads wait at __syncthreads() while others wait at a warp collective");
        } else {
            fail("warp collective can never complete (lanes blocked elsewhere)");
        }
        return false;
    }
}

template <class... Args>
void body_trampoline(void* p) {
    auto* call = static_cast<std::pair<void (*)(Args...), std::tuple<Args...>>*>(p);
    std::apply(call->first, call->second);
}

// launch(kernel, grid, block, smem, stream)(args...): the emulated form of kernel<<<grid, block, smem, stream>>>.
template <class... Params>
struct Launch {
    void (*kernel)(Params...);
    dim3 grid, block;
    std::size_t smem;

    template <class... Args>
    void operator()(Args&&... args) const {
        const unsigned threads = block.x * block.y * block.z;
        if (threads == 0 || threads > kMaxThreads || grid.x * grid.y * grid.z == 0) {
            t_last_error = cudaErrorInvalidConfiguration;
            t_message = "simt: invalid launch configuration";
            return;
        }
        if (smem > kMaxDynamicSmem) {
            t_last_error = cudaErrorInvalidValue;
            t_message = "simt: dynamic shared memory above 48 KiB";
            return;
        }
        std::pair<void (*)(Params...), std::tuple<Params...>> call{kernel, std::tuple<Params...>(std::forward<Args>(args)...)};
        Block b;
        b.body = body_trampoline<Params...>;
        b.body_arg = &call;
        b.dynamic_smem.assign(smem, 0);
        b.fibers.resize(threads);
        for (unsigned t = 0; t < threads; t++) {
            b.fibers[t].tid = uint3{t % block.x, t / block.x % block.y, t / (block.x * block.y)};
        }
        t_block = &b;
        blockDim = block;
        gridDim = grid;
        for (unsigned z = 0; z < grid.z; z++)
            for (unsigned y = 0; y < grid.y; y++)
                for (unsigned x = 0; x < grid.x; x++) {
                    blockIdx = uint3{x, y, z};
                    if (!run_block(b)) { t_block = nullptr; return; }
                }
        t_block = nullptr;
    }
};

template <class... Params>
Launch<Params...> launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem, cudaStream_t) {
    return Launch<Params...>{kernel, grid, block, smem};
}

// A warp collective from the calling fiber: post the request, block, read the result.
template <class T>
T collective(Op op, unsigned mask, T value, int arg, int width) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>);
    Fiber& f = t_block->fibers[t_block->current];
    f.op = op;
    f.mask = mask;
    f.arg = arg;
    f.width = width;
    f.exchange = nullptr;
    f.value = 0;
    std::memcpy(&f.value, &value, sizeof(T));
    block_here(State::at_warp);
    T out;
    std::memcpy(&out, &t_block->fibers[t_block->current].value, sizeof(T));
    return out;
}

// A warp-wide instruction from the calling fiber: posts `io` (this lane's operands and result slots, alive on the
// fiber's stack while it is blocked) and blocks until all 32 lanes of the warp have posted the same function, which
// then runs once with the 32 pointers, lane order, and must write every lane's results.
inline void warp_exchange(void (*fn)(void* const* io), void* io) {
    Fiber& f = t_block->fibers[t_block->current];
    f.op = Op::exchange;
    f.mask = 0xffffffffu;
    f.exchange = fn;
    f.io = io;
    block_here(State::at_warp);
}

}  // namespace simt

// ---------------------------------------------------------------------------------------- device functions

inline void __syncthreads() { simt::block_here(simt::State::at_barrier); }

inline void __syncwarp(unsigned mask = 0xffffffffu) { simt::collective<int>(simt::Op::syncwarp, mask, 0, 0, warpSize); }

template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
    return simt::collective<T>(simt::Op::shfl_down, mask, var, static_cast<int>(delta), width);
}

template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
    return simt::collective<T>(simt::Op::shfl_xor, mask, var, lane_mask, width);
}

inline float atomicAdd(float* address, float val) { return std::atomic_ref<float>(*address).fetch_add(val); }
inline int atomicAdd(int* address, int val) { return std::atomic_ref<int>(*address).fetch_add(val); }
inline unsigned atomicAdd(unsigned* address, unsigned val) { return std::atomic_ref<unsigned>(*address).fetch_add(val); }

inline int atomicMax(int* address, int val) {
    std::atomic_ref<int> a(*address);
    int old = a.load();
    while (old < val && !a.compare_exchange_weak(old, val)) {}
    return old;
}

// Reinterpretation of the 32 bits (F16/BF16 widening, pn_half.cuh).
inline float __uint_as_float(unsigned x) {
    float f;
    std::memcpy(&f, &x, sizeof f);
    return f;
}

inline unsigned __float_as_uint(float f) {
    unsigned x;
    std::memcpy(&x, &f, sizeof x);
    return x;
}

// sin(pi x) and cos(pi x) in double (CUDA's sincospi needs no Payne-Hanek reduction, hence no local memory).
// x mod 2 is exact, so only the product with pi rounds (~1 ulp), close to CUDA's documented 1-2 ulp.
inline void sincospi(double x, double* s, double* c) {
    const double r = std::fmod(x, 2.0) * 3.14159265358979323846;
    *s = std::sin(r);
    *c = std::cos(r);
}

// ------------------------------------------------------------------------------------------- host runtime

inline cudaError_t cudaMemsetAsync(void* device_ptr, int value, std::size_t count, cudaStream_t = nullptr) {
    std::memset(device_ptr, value, count);
    return cudaSuccess;
}

// The device the emulated launches run on, as cudaDeviceGetAttribute reports it: an H100 SXM's 132 SMs, so
// launchers that size their grids by the SM count (decode_attention.cu) take the decisions they would take on the
// GPU the bounds in docs/kernels.md are written for. Only the multiprocessor count is known.
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };

inline cudaError_t cudaGetDevice(int* device) {
    *device = 0;
    return cudaSuccess;
}

inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
    if (attr != cudaDevAttrMultiProcessorCount || device != 0) return cudaErrorInvalidValue;
    *value = 132;
    return cudaSuccess;
}

inline cudaError_t cudaGetLastError() {
    cudaError_t e = simt::t_last_error;
    simt::t_last_error = cudaSuccess;
    return e;
}

// Stream-ordered workspace (launchers that need scratch memory, e.g. random_projection.cu). Launches run
// synchronously on the calling thread, so host malloc/free stand in for the stream's memory pool; a failed
// allocation returns cudaErrorMemoryAllocation like the real call.
inline cudaError_t cudaMallocAsync(void** ptr, std::size_t bytes, cudaStream_t) {
    *ptr = std::malloc(bytes == 0 ? 1 : bytes);
    return *ptr ? cudaSuccess : cudaErrorMemoryAllocation;
}

inline cudaError_t cudaFreeAsync(void* ptr, cudaStream_t) {
    std::free(ptr);
    return cudaSuccess;
}

#endif
