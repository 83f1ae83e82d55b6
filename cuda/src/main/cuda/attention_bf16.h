/*
 * attention_bf16.h — C ABI of the tensor-core attention kernels (attention_bf16.cu): the scaled dot-product
 * attention of attention.h, forward and backward, for BF16 q, k, v, with the products on BF16 tensor cores
 * (mma.sync m16n8k16, float32 accumulation) and the softmax in float32. Same masks, GQA, KV-cache offset and
 * outputs as pn_attention_forward / pn_attention_backward; only the operand precision differs.
 *
 * Shapes (pointers are device pointers, host pointers on the emulated device):
 *   q    [B, H, T, hd]    bf16 (the upper 16 bits of a float32), rows contiguous (row stride hd); batch/head strides
 *                         q_batch_stride, q_head_stride in elements
 *   k, v [B, KV, Tk, hd]  bf16, rows contiguous, batch/head strides kv_batch_stride, kv_head_stride shared by k and v
 *   key_valid [B, Tk] uint8 or null (null = every key valid)
 *   out  [B, H, T, hd] float32, lse [B, H, T] float32: contiguous
 *   backward: out and lse from the forward, dout [B, H, T, hd] float32, all contiguous; dq [B, H, T, hd] and
 *   dk, dv [B, KV, Tk, hd] float32, contiguous, fully written (dq is scratch for D first: must not alias an input).
 *
 * Math: attention.h's, with these roundings (docs/kernels.md "attention_bf16" derives the error bounds from them):
 * S = Q K^T is exact products summed in float32; P (forward: exp(s - m), backward: exp(s - lse)) is rounded to bf16
 * for the tensor-core products P V and P^T dO, and dS = P o (dP - D) is rounded to bf16 for dS K and dS^T Q; dout is
 * rounded to bf16 (to nearest even) where it is read, so the backward is the exact-math gradient for dout rounded to
 * bf16 (D_i = <bf16(dout_i), out_i>). The row sums, lse, out and the gradients are float32.
 *
 * Limits: as attention.h (B, H, T, Tk >= 0; KV >= 1, H % KV == 0; 1 <= hd <= 128; B, H, KV <= 65535; non-negative
 * strides). hd <= 64 runs the HD = 64 kernels, hd <= 128 the HD = 128 ones (zero-padded). Returns a cudaError_t as
 * int: 0, 1 (cudaErrorInvalidValue) when a limit is broken, or the launch error. The kernels need sm_80 or later.
 */
#ifndef PN_ATTENTION_BF16_H
#define PN_ATTENTION_BF16_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_attention_bf16_forward(const void* q /* [B, H, T, hd] bf16 */, const void* k /* [B, KV, Tk, hd] bf16 */,
                              const void* v /* [B, KV, Tk, hd] bf16 */,
                              const unsigned char* key_valid /* [B, Tk] or null */,
                              int B, int H, int KV, int T, int Tk, int hd,
                              long long q_batch_stride, long long q_head_stride,
                              long long kv_batch_stride, long long kv_head_stride,
                              int causal, int start, float scale,
                              float* out /* [B, H, T, hd] */, float* lse /* [B, H, T] */, void* stream);

int pn_attention_bf16_backward(const void* q /* [B, H, T, hd] bf16 */, const void* k /* [B, KV, Tk, hd] bf16 */,
                               const void* v /* [B, KV, Tk, hd] bf16 */,
                               const unsigned char* key_valid /* [B, Tk] or null */,
                               const float* out /* [B, H, T, hd] */, const float* lse /* [B, H, T] */,
                               const float* dout /* [B, H, T, hd] */,
                               int B, int H, int KV, int T, int Tk, int hd,
                               long long q_batch_stride, long long q_head_stride,
                               long long kv_batch_stride, long long kv_head_stride,
                               int causal, int start, float scale,
                               float* dq /* [B, H, T, hd] */, float* dk /* [B, KV, Tk, hd] */,
                               float* dv /* [B, KV, Tk, hd] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
