/*
 * random_projection.h — C ABI of the Rademacher random projection of ADAPT-∞'s gradient features
 * (random_projection.cu; docs/methods/adapt-inf.md §2.4–2.5), the device form of dev.perennial.select.RandomProjection:
 *
 *   out[i, c] (+)= sum_{j < d} x[i, j] * R[row_offset + j, c]          x [n, d], out [n, k], fp32, contiguous
 *
 * R[row, col] = RademacherSigns.sign(seed, row, col) ∈ {+1, -1}, bit for bit (unsigned 64-bit arithmetic):
 *   mix64(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
 *   row_key   = mix64(mix64(seed) + 0x9E3779B97F4A7C15 * (row + 1))
 *   bits      = mix64(row_key + 0x9E3779B97F4A7C15 * (col / 64 + 1));   R = bit (col % 64) of bits ? -1 : +1
 * The signs are generated on the fly and never stored. With accumulate != 0 the sum is added to out, so a
 * gradient too large for memory is projected chunk by chunk (row_offset = the chunk's first coordinate).
 * The result is deterministic (no atomics; a fixed summation order that depends only on n, d and k).
 *
 * pn_l2_normalize_rows scales each row of x [n, k] to unit L2 norm in place; a zero row stays zero (no NaN).
 * Finite inputs of any magnitude work (the norm is computed on x / max|x|, so squares neither overflow nor
 * underflow).
 *
 * Pointers are device pointers (host pointers on the emulated device). Limits: n, d, k >= 0, n <= 1048560
 * (65535 groups of 16 samples in gridDim.z), row_offset >= 0; n = 0 or k = 0 returns 0 without launching; d = 0
 * sets out to 0 (accumulate = 0) or leaves it unchanged. When it splits d over several blocks (d > 64 and
 * ceil(k / 128) * ceil(n / NS) <= 1024 output tiles, NS = 4 for n <= 4 else 16), the projection allocates a
 * stream-ordered workspace of chunks * n * k floats, chunks <= 64 (cudaMallocAsync), and frees it on the stream.
 * Returns a cudaError_t as int: 0, 1 (cudaErrorInvalidValue) for bad sizes, 2 (cudaErrorMemoryAllocation) if
 * the workspace cannot be allocated, or the launch error.
 */
#ifndef PN_RANDOM_PROJECTION_H
#define PN_RANDOM_PROJECTION_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_rademacher_project(const float* x /* [n, d] */, int n, long long d, int k, unsigned long long seed,
                          long long row_offset, int accumulate, float* out /* [n, k] */, void* stream);

int pn_l2_normalize_rows(float* x /* [n, k] */, int n, int k, void* stream);

#ifdef __cplusplus
}
#endif

#endif
