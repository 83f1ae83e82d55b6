/*
 * decode_attention.h — C ABI of split-K ("flash-decoding") attention for a decode step: one query row per head
 * (T = 1) against a KV cache, the device form of Attention.attend(q, k, v, Attention.mask(B, 1, Tk, start, causal,
 * keyValid), scale) for that shape. The general kernel (attention.h) gives such a step one block per (head, batch):
 * 32 blocks for a LLaMA-7B layer at batch 1, a quarter of an H100's SMs, each walking all Tk keys alone. Here the
 * keys are cut into chunks of `chunk` keys handled by independent blocks, each of which writes a partial softmax
 * state; a second kernel combines the partials with the log-sum-exp rule (docs/kernels.md, "decode_attention").
 *
 * Shapes (pointers are device pointers, host pointers on the emulated device):
 *   q    [B, H, 1, hd]   float32, elements of a row contiguous; batch/head strides q_batch_stride, q_head_stride
 *                        (elements), so q may be a view.
 *   k, v [B, KV, Tk, hd] of element type kv_dtype (PN_DTYPE_F32, F16 or BF16, pn_dtype.h; widened exactly on
 *                        load), each pointer at the view's first element; rows contiguous with row stride hd;
 *                        batch/head strides kv_batch_stride, kv_head_stride shared by k and v (a KV cache
 *                        [B, KV, Tmax, hd] narrowed to Tk rows has head stride Tmax * hd).
 *   key_valid [B, Tk] uint8 or null: nonzero = the key may be attended; null = all valid.
 *   partial   workspace of B * H * S * (hd + 2) floats, S = ceil(Tk / chunk) (0 when Tk = 0): each split's
 *             unnormalised accumulator [B, H, S, hd], then its running max and sum [B, H, S, 2].
 *   out  [B, H, 1, hd] float32, contiguous;  lse [B, H] float32, contiguous, or null (not written).
 *
 * Math (as attention.h with T = 1). Query head h reads kv head h / (H / KV). Key j is visible when
 * key_valid[b, j] != 0 and, if causal != 0, j <= start (start = Tk - 1 for a decode step, which makes every cached
 * key visible). s_j = scale * <q, k_j> over visible keys, lse = log sum_j exp(s_j), out = sum_j exp(s_j - lse) v_j,
 * all in float32. Split c covers keys [c * chunk, (c + 1) * chunk) and leaves m_c = max s_j, l_c = sum exp(s_j - m_c),
 * a_c = sum exp(s_j - m_c) v_j (m_c = -inf, l_c = 0, a_c = 0 when it sees no key); then M = max_c m_c,
 * L = sum_c l_c exp(m_c - M), out = sum_c a_c exp(m_c - M) / L, lse = M + log L. A head that sees no key gets
 * out = 0 and lse = -INFINITY, never NaN. Results depend on chunk only through float32 rounding; for fixed inputs
 * and chunk they are deterministic (no atomics).
 *
 * pn_decode_attention_chunk writes the chunk the split heuristic picks for a problem on a device with
 * `multiprocessors` SMs (<= 0: ask the current device, cudaDevAttrMultiProcessorCount): the chunk that gives
 * about 4 blocks of the first kernel per SM, rounded up to whole 32-key tiles and at least 128 keys (so a split
 * amortises its query load and partial write; a short cache gets one split). docs/kernels.md, "decode_attention".
 *
 * Limits: B, H, Tk >= 0; KV >= 1 with H % KV == 0; 1 <= hd <= 128; chunk >= 1; B <= 65535 and
 * KV * ceil((H / KV) / 8) <= 65535 (grid z and y); non-negative strides; any start; a known kv_dtype; out,
 * partial (when Tk > 0), q, k and v non-null when B * H > 0. Returns a cudaError_t as int: 0, 1
 * (cudaErrorInvalidValue) when a limit is broken, or the launch error. B * H == 0 succeeds without launching.
 */
#ifndef PN_DECODE_ATTENTION_H
#define PN_DECODE_ATTENTION_H

#include "pn_dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

int pn_decode_attention_chunk(int B, int H, int KV, int Tk, int multiprocessors, int* chunk /* host, out */);

int pn_decode_attention(const float* q /* [B, H, 1, hd] */, const void* k /* [B, KV, Tk, hd] */,
                        const void* v /* [B, KV, Tk, hd] */, int kv_dtype,
                        const unsigned char* key_valid /* [B, Tk] or null */,
                        int B, int H, int KV, int Tk, int hd,
                        long long q_batch_stride, long long q_head_stride,
                        long long kv_batch_stride, long long kv_head_stride,
                        int causal, int start, float scale, int chunk,
                        float* partial /* B * H * ceil(Tk / chunk) * (hd + 2) */,
                        float* out /* [B, H, 1, hd] */, float* lse /* [B, H] or null */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
