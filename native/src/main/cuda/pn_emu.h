/*
 * pn_emu.h — C ABI of the emulated device itself (only in the g++ build of native/, never in the nvcc build):
 * the fiber run order, the message of the last failed launch, and a deliberately broken kernel that lets the
 * tests check that the emulator reports barrier divergence as an error instead of hanging.
 */
#ifndef PN_EMU_H
#define PN_EMU_H

#ifdef __cplusplus
extern "C" {
#endif

/* Order in which fibers run between synchronisation points, for all later launches: 0 forward, 1 reverse. */
void pn_emu_set_order(int order);

/* Why the last failed launch on the calling thread failed ("" if none has). */
const char* pn_emu_last_message(void);

/*
 * Launches one block of `threads` threads in which threads >= threads / 2 return before a __syncthreads()
 * that the others reach. Returns cudaErrorLaunchFailure (719) on the emulated device.
 */
int pn_emu_barrier_divergence(int threads);

#ifdef __cplusplus
}
#endif

#endif
