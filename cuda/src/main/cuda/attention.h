/*
 * attention.h — C ABI of the fused attention kernels (attention.cu): scaled dot-product attention with grouped
 * key/value heads (GQA), causal and padding masks and a KV-cache offset, forward and backward, in float32 without
 * ever materialising the [T, Tk] score matrix (FlashAttention-2 style). The device form of
 * dev.perennial.nn.Attention.attend(q, k, v, Attention.mask(B, T, Tk, start, causal, keyValid), scale).
 *
 * Shapes (float32 unless noted; pointers are device pointers, host pointers on the emulated device):
 *   q    [B, H, T, hd]    rows contiguous (element stride 1, row stride hd); batch/head strides q_batch_stride,
 *                         q_head_stride (elements), so q may be a view.
 *   k, v [B, KV, Tk, hd]  rows contiguous with row stride hd; batch/head strides kv_batch_stride, kv_head_stride
 *                         shared by k and v, so both may be views of a KV cache [B, KV, Tmax, hd] narrowed to Tk
 *                         rows (head stride Tmax * hd).
 *   key_valid [B, Tk] uint8 or null: nonzero = the key may be attended (the padding mask); null = all valid.
 *   out  [B, H, T, hd], lse [B, H, T]: contiguous. In the backward, out, lse, dout [B, H, T, hd] and dq are
 *   contiguous, dk/dv [B, KV, Tk, hd] contiguous.
 *
 * Math. Query head h uses kv head h / (H / KV). Query i sees key j when key_valid[b, j] != 0 and, if causal != 0,
 * j <= start + i (start = Tk - T when decoding against a KV cache, 0 in training). For visible pairs
 *   s_ij = scale * <q_i, k_j>,  lse_i = log sum_j exp(s_ij)  (natural log),  out_i = sum_j exp(s_ij - lse_i) v_j.
 * A query row with no visible key gets out_i = 0 and lse_i = -INFINITY (never NaN).
 * Backward, given dout: P = exp(S - lse) (0 where not visible or lse = -inf), D_i = <dout_i, out_i>,
 *   dV = P^T dO,  dP = dO V^T,  dS = P o (dP - D),  dQ = scale * dS K,  dK = scale * dS^T Q,
 * where the dK/dV of the H / KV query heads sharing a kv head are summed into it. dq, dk and dv are fully
 * written (zeros for rows/keys nothing depends on). pn_attention_backward uses dq as scratch for D before it
 * writes the result, so dq must not alias an input.
 *
 * Limits: B, H, T, Tk >= 0; KV >= 1 with H % KV == 0; 1 <= hd <= 128; B, H (forward and dq pass) and KV (dk/dv
 * pass) <= 65535 (grid y/z); non-negative strides; any start. Returns a cudaError_t as int: 0, 1
 * (cudaErrorInvalidValue) when a limit is broken, or the launch error. Empty problems (B * H * T == 0 and, in the
 * backward, B * KV * Tk == 0) succeed without launching.
 */
#ifndef PN_ATTENTION_H
#define PN_ATTENTION_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_attention_forward(const float* q /* [B, H, T, hd] */, const float* k /* [B, KV, Tk, hd] */,
                         const float* v /* [B, KV, Tk, hd] */, const unsigned char* key_valid /* [B, Tk] or null */,
                         int B, int H, int KV, int T, int Tk, int hd,
                         long long q_batch_stride, long long q_head_stride,
                         long long kv_batch_stride, long long kv_head_stride,
                         int causal, int start, float scale,
                         float* out /* [B, H, T, hd] */, float* lse /* [B, H, T] */, void* stream);

int pn_attention_backward(const float* q /* [B, H, T, hd] */, const float* k /* [B, KV, Tk, hd] */,
                          const float* v /* [B, KV, Tk, hd] */, const unsigned char* key_valid /* [B, Tk] or null */,
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
