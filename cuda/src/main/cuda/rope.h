/*
 * rope.h — C ABI of the rotary position embedding kernel (rope.cu), the device form of Backend.rope
 * (rotate-half / HF Llama layout) and of its backward:
 *   angle[p, i] = p * theta^(-2i/hd)  (double, as ReferenceBackend/CpuBackend), i in [0, hd/2)
 *   c, s = cos(angle), sin(angle) rounded to float; s negated when `inverse` (rotation by -angle: the backward,
 *   dx = rope(dy, -positions))
 *   out[b, h, t, i]        = x[b, h, t, i] c - x[b, h, t, i + hd/2] s
 *   out[b, h, t, i + hd/2] = x[b, h, t, i + hd/2] c + x[b, h, t, i] s
 * with p = positions[t] (positions_per_batch == 0, positions [T]) or positions[b, t] (== 1, positions [B, T]).
 * x is a float32 view [B, H, T, hd] given by its four strides in elements (a transposed q/k is read in place;
 * the pointer already points at the view's first element); out is contiguous [B, H, T, hd] and must not
 * overlap x. positions are int32. Device pointers (host pointers on the emulated device).
 * Limits: hd even and hd <= 1024 (the cos/sin table lives in 4 KiB of static shared memory), batch <= 65535
 * (grid y), H * hd/2 <= INT_MAX. Returns a cudaError_t as int: 0; 1 (cudaErrorInvalidValue) for a broken limit,
 * negative sizes or null pointers with elements to write; otherwise the launch error. Zero elements returns 0
 * without launching.
 */
#ifndef PN_ROPE_H
#define PN_ROPE_H

#ifdef __cplusplus
extern "C" {
#endif

#define PN_ROPE_MAX_HEAD_DIM 1024

int pn_rope(const float* x /* [B, H, T, hd] view */, long long stride_b, long long stride_h, long long stride_t,
            long long stride_d, const int* positions /* [T] or [B, T] */, int positions_per_batch,
            float* out /* [B, H, T, hd] */, int batch, int heads, int seq, int head_dim, float theta, int inverse,
            void* stream);

#ifdef __cplusplus
}
#endif

#endif
