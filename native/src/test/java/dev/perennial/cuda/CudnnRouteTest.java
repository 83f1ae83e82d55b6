/*
 * The cuDNN route of the CUDA backend on the emulated device, where EmulatedDnn stands in for cuDNN (it runs the
 * same ConvProblem and DnnGraph descriptors a GPU's CudnnDnn gets, docs/kernels.md "cuDNN"):
 *
 *  - BF16 attention through cuDNN's fused SDPA graphs, forward and backward via CudaBackend, against the exact
 *    double reference and the per-element bound of AttentionBf16Test.BoundReference (the same roundings: P and dS
 *    as BF16 operands of the products), grown by cuDNN's BF16 outputs O, dK, dV (2^-8 of the value): causal and full,
 *    MHA and GQA (4/2, 4/1), a decode of 5 queries against a BF16 cache view (start 62), keys padded as a prefix
 *    per batch row, scale 1 on wide scores;
 *  - what stays on the hand-written kernels (bit-identical to them): masks cuDNN cannot express (valid keys not a
 *    prefix, a row that sees no key), F32 operands, one-row decode steps, hd not a multiple of 8;
 *  - the descriptors: the graph EmulatedDnn ran, translated by CudnnGraphPlan into the backend descriptors CudnnDnn
 *    creates, states the operands' dims, strides (K as Kᵀ), types and uids, the scale and the cache offset as
 *    by-value scalars, the causal comparison, the padding overrides and the GQA head reductions; the variant pack
 *    bound tensors of the descriptors' types;
 *  - the patch-embedding convolution against the composed path (contiguous patches, one matmul) on the
 *    ReferenceBackend, F32, BF16 weight, and BF16 pixels with a BF16 weight;
 *  - the probe on this machine: unavailable, one line, "no GPU".
 */
package dev.perennial.cuda;

import dev.perennial.cuda.AttentionBf16Test.BoundReference;
import dev.perennial.cuda.AttentionBf16Test.Case;
import dev.perennial.cuda.AttentionBf16Test.Inputs;
import dev.perennial.cuda.dnn.DnnGraph;
import dev.perennial.cuda.dnn.DnnTensor;
import dev.perennial.cuda.dnn.DnnType;
import dev.perennial.cuda.dnn.EmulatedDnn;
import dev.perennial.cuda.dnn.SdpaGraphs;
import dev.perennial.cuda.gpu.CudnnDnn;
import dev.perennial.cuda.gpu.CudnnGraphPlan;
import dev.perennial.llava.PatchEmbedding;
import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.FusedAttention;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.bytedeco.cuda.global.cudnn.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudnnRouteTest {

    /** AttentionBf16Test's cases cuDNN takes (T > 1, hd a multiple of 8, no mask it cannot express). */
    static Stream<Case> sdpaCases() {
        return AttentionBf16Test.CASES.stream().filter(c -> c.t() > 1 && c.hd() % 8 == 0 && !c.masked());
    }

    private record Route(CudaBackend be, EmulatedDnn dnn) {}

    private static Route route() {
        EmulatedDnn dnn = new EmulatedDnn();
        return new Route(new CudaBackend(CudaDevice.emulated().withDnn(dnn)), dnn);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sdpaCases")
    void sdpaForwardAndBackwardWithinTheBf16Bound(Case c) {
        check(c, AttentionBf16Test.inputs(c));
    }

    /** Keys padded as a prefix of each batch row (9 of 17 valid in row 1): cuDNN's padding mask, GQA 4/2, causal. */
    @Test
    void paddedKeysWithinTheBf16Bound() {
        Case c = new Case("prefix padding, GQA 4/2 causal, hd 32, T=Tk=17", 2, 4, 2, 17, 17, 32, true, 0,
                (float) (1 / Math.sqrt(32)), false, false);
        Random rnd = new Random(17);
        boolean[][] valid = new boolean[2][17];
        for (int j = 0; j < 17; j++) {
            valid[0][j] = true;
            valid[1][j] = j < 9;
        }
        Tensor q = gaussian(rnd, 2, 4, 17, 32).to(DType.BF16), k = gaussian(rnd, 2, 2, 17, 32).to(DType.BF16);
        Tensor v = gaussian(rnd, 2, 2, 17, 32).to(DType.BF16);
        Tensor dout = gaussian(rnd, 2, 4, 17, 32).to(DType.BF16).to(DType.F32);
        Route r = check(c, new Inputs(q, k, v, null, valid, AttentionMask.causal(0, valid), dout));
        DnnGraph g = r.dnn().calls().get(0).graph();
        assertTrue(g.tensors().containsKey(SdpaGraphs.SEQ_LEN_KV), "padding runs through SEQ_LEN_KV");
    }

    private static Route check(Case c, Inputs in) {
        Route r = route();
        FusedAttention.Forward f = r.be().attentionForward(in.q(), in.k(), in.v(), in.mask(), c.scale());
        FusedAttention.Gradients g = r.be().attentionBackward(in.q(), in.k(), in.v(), in.mask(), c.scale(), f, in.dout());
        List<EmulatedDnn.Call> calls = r.dnn().calls();
        assertEquals(List.of("sdpa_forward", "sdpa_backward"), calls.stream().map(x -> x.graph().name()).toList());
        BoundReference ref = new BoundReference(c, in, f.out().toFloatArray(), true);
        AttentionBf16Test.assertWithin(c + " out", ref.out, ref.tolOut, f.out().toFloatArray());
        AttentionBf16Test.assertWithin(c + " lse", ref.lse, ref.tolLse, f.lse().toFloatArray());
        AttentionBf16Test.assertWithin(c + " dq", ref.dq, ref.tolDq, g.dq().toFloatArray());
        AttentionBf16Test.assertWithin(c + " dk", ref.dk, ref.tolDk, g.dk().toFloatArray());
        AttentionBf16Test.assertWithin(c + " dv", ref.dv, ref.tolDv, g.dv().toFloatArray());
        return r;
    }

    /** Everything cuDNN's masks or support surface cannot take runs the hand-written kernels, bit for bit. */
    @Test
    void theKernelsRemainTheFallback() {
        Route r = route();
        CudaBackend plain = CudaBackend.emulated();
        Case masked = AttentionBf16Test.CASES.stream().filter(Case::masked).findFirst().orElseThrow();
        Inputs in = AttentionBf16Test.inputs(masked);                // keys j % 3 invalid, a row with no valid key
        assertArrayEquals(plain.attention(in.q(), in.k(), in.v(), in.mask(), masked.scale()).toFloatArray(),
                r.be().attention(in.q(), in.k(), in.v(), in.mask(), masked.scale()).toFloatArray());
        Random rnd = new Random(3);
        Tensor q = gaussian(rnd, 1, 2, 5, 16), k = gaussian(rnd, 1, 2, 5, 16), v = gaussian(rnd, 1, 2, 5, 16);
        AttentionMask causal = AttentionMask.causal(0, null);
        assertArrayEquals(plain.attention(q, k, v, causal, 0.25f).toFloatArray(),
                r.be().attention(q, k, v, causal, 0.25f).toFloatArray(), "F32 operands");
        Tensor q1 = q.narrow(2, 0, 1).to(DType.BF16), kb = k.to(DType.BF16), vb = v.to(DType.BF16);
        assertArrayEquals(plain.attention(q1, kb, vb, AttentionMask.causal(4, null), 0.25f).toFloatArray(),
                r.be().attention(q1, kb, vb, AttentionMask.causal(4, null), 0.25f).toFloatArray(), "a decode step");
        Tensor q12 = gaussian(rnd, 1, 2, 5, 12).to(DType.BF16), k12 = gaussian(rnd, 1, 2, 5, 12).to(DType.BF16);
        assertArrayEquals(plain.attention(q12, k12, k12, causal, 0.25f).toFloatArray(),
                r.be().attention(q12, k12, k12, causal, 0.25f).toFloatArray(), "hd 12");
        assertTrue(r.dnn().calls().isEmpty(), "no cuDNN call: " + r.dnn().calls());
    }

    /** The graph EmulatedDnn ran is, descriptor by descriptor, what CudnnDnn hands cuDNN. */
    @Test
    void theDescriptorsAreTheOnesTheEmulatedEngineRan() {
        Route r = route();
        int b = 2, h = 4, kv = 2, t = 6, tk = 9, hd = 16, start = 3;
        Random rnd = new Random(9);
        // k and v are views into a longer cache (row stride hd, head stride 12 * hd): strides reach the descriptors
        Tensor q = gaussian(rnd, b, h, t, hd).to(DType.BF16);
        Tensor k = gaussian(rnd, b, kv, 12, hd).to(DType.BF16).narrow(2, 0, tk);
        Tensor v = gaussian(rnd, b, kv, 12, hd).to(DType.BF16).narrow(2, 0, tk);
        boolean[][] valid = {{true, true, true, true, true, true, true, true, true},
                {true, true, true, true, true, true, true, false, false}};
        AttentionMask mask = AttentionMask.causal(start, valid);
        FusedAttention.Forward f = r.be().attentionForward(q, k, v, mask, 0.25f);
        r.be().attentionBackward(q, k, v, mask, 0.25f, f, gaussian(rnd, b, h, t, hd));
        List<EmulatedDnn.Call> calls = r.dnn().calls();
        assertEquals(2, calls.size());
        for (EmulatedDnn.Call call : calls) {
            DnnGraph g = call.graph();
            CudnnGraphPlan plan = CudnnGraphPlan.of(g);
            long[] kStrides = {kv * 12L * hd, 12L * hd, hd, 1};
            assertTensor(plan, SdpaGraphs.Q, new long[]{b, h, t, hd}, new long[]{(long) h * t * hd, (long) t * hd, hd, 1},
                    CUDNN_DATA_BFLOAT16);
            assertTensor(plan, SdpaGraphs.K, new long[]{b, kv, hd, tk}, new long[]{kStrides[0], kStrides[1], 1, hd},
                    CUDNN_DATA_BFLOAT16);
            assertTensor(plan, SdpaGraphs.STATS, new long[]{b, h, t, 1}, new long[]{(long) h * t, t, 1, 1}, CUDNN_DATA_FLOAT);
            assertTensor(plan, SdpaGraphs.SEQ_LEN_KV, new long[]{b, 1, 1, 1}, new long[]{1, 1, 1, 1}, CUDNN_DATA_INT32);
            String pre = g.name().equals("sdpa_forward") ? "" : "bwd_";
            // the scale: a by-value F32 scalar multiplying the scores
            CudnnGraphPlan.Descriptor scale = plan.operation(pre + "attn_scale");
            assertEquals(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, scale.type());
            DnnTensor scaleValue = byValue(g, plan, scale);
            assertEquals(0.25f, scaleValue.value());
            assertEquals(DnnType.F32, scaleValue.type());
            // the cache offset: row + start (by value, INT32), then row >= col keeps a score
            DnnTensor offset = byValue(g, plan, plan.operation(pre + "row+start"));
            assertEquals(start, offset.value());
            assertEquals(DnnType.I32, offset.type());
            CudnnGraphPlan.Descriptor cmp = plan.descriptors().get(ref(plan.operation(pre + "row>=col"),
                    CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR));
            assertArrayEquals(new long[]{CUDNN_POINTWISE_CMP_GE}, cmp.attribute(CUDNN_ATTR_POINTWISE_MODE).ints());
            // padded keys: the first matmul's n override is SEQ_LEN_KV
            CudnnGraphPlan.Descriptor bmm1 = plan.operation(pre + "bmm1");
            assertEquals(plan.tensorIndex().get(SdpaGraphs.SEQ_LEN_KV),
                    ref(bmm1, CUDNN_ATTR_OPERATION_MATMUL_GEMM_N_OVERRIDE_DESC));
            // the operation graph lists every operation once
            CudnnGraphPlan.Descriptor opGraph = plan.descriptors().get(plan.descriptors().size() - 1);
            assertEquals(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, opGraph.type());
            assertEquals(g.ops().size(), opGraph.attribute(CUDNN_ATTR_OPERATIONGRAPH_OPS).refs().length);
            // the variant pack bound every memory tensor with the descriptor's type
            for (long uid : g.boundUids()) {
                DType bound = call.packTypes().get(uid);
                assertNotNull(bound, "uid " + uid + " bound");
                assertEquals(CudnnGraphPlan.dataType(g.tensor(uid).type()),
                        plan.tensor(uid).attribute(CUDNN_ATTR_TENSOR_DATA_TYPE).ints()[0]);
            }
        }
        // GQA: the backward's dK and dV products are per query head, then reduced over each group of h / kv heads
        DnnGraph bwd = calls.get(1).graph();
        CudnnGraphPlan plan = CudnnGraphPlan.of(bwd);
        CudnnGraphPlan.Descriptor red = plan.operation("red_dK_head");
        assertEquals(CUDNN_BACKEND_OPERATION_REDUCTION_DESCRIPTOR, red.type());
        assertEquals(plan.tensorIndex().get(SdpaGraphs.DK), ref(red, CUDNN_ATTR_OPERATION_REDUCTION_YDESC));
        assertArrayEquals(new long[]{b, h, tk, hd}, plan.descriptors().get(ref(red, CUDNN_ATTR_OPERATION_REDUCTION_XDESC))
                .attribute(CUDNN_ATTR_TENSOR_DIMENSIONS).ints());
        assertArrayEquals(new long[]{b, kv, hd, tk}, plan.tensor(SdpaGraphs.V).attribute(CUDNN_ATTR_TENSOR_DIMENSIONS).ints(),
                "the backward reads V as Vᵀ");
    }

    private static void assertTensor(CudnnGraphPlan plan, long uid, long[] dims, long[] strides, int type) {
        CudnnGraphPlan.Descriptor d = plan.tensor(uid);
        assertEquals(CUDNN_BACKEND_TENSOR_DESCRIPTOR, d.type());
        assertArrayEquals(dims, d.attribute(CUDNN_ATTR_TENSOR_DIMENSIONS).ints(), d.what());
        assertArrayEquals(strides, d.attribute(CUDNN_ATTR_TENSOR_STRIDES).ints(), d.what());
        assertArrayEquals(new long[]{type}, d.attribute(CUDNN_ATTR_TENSOR_DATA_TYPE).ints(), d.what());
        assertArrayEquals(new long[]{uid}, d.attribute(CUDNN_ATTR_TENSOR_UNIQUE_ID).ints(), d.what());
        assertNull(d.attribute(CUDNN_ATTR_TENSOR_IS_VIRTUAL), d.what() + " is in memory");
    }

    // The by-value tensor an operation's BDESC names.
    private static DnnTensor byValue(DnnGraph g, CudnnGraphPlan plan, CudnnGraphPlan.Descriptor op) {
        CudnnGraphPlan.Descriptor d = plan.descriptors().get(ref(op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC));
        assertArrayEquals(new long[]{1}, d.attribute(CUDNN_ATTR_TENSOR_IS_BY_VALUE).ints());
        DnnTensor t = g.tensor(d.attribute(CUDNN_ATTR_TENSOR_UNIQUE_ID).ints()[0]);
        assertTrue(t.byValue());
        return t;
    }

    private static int ref(CudnnGraphPlan.Descriptor d, int attribute) {
        CudnnGraphPlan.Attribute a = d.attribute(attribute);
        assertNotNull(a, d.what() + " sets attribute " + attribute);
        assertEquals(1, a.refs().length);
        return a.refs()[0];
    }

    /** The patch embedding through cuDNN's convolution equals the composed path (patches, one matmul). */
    @Test
    void patchEmbeddingEqualsTheComposedPath() {
        Route r = route();
        PatchEmbedding conv = PatchEmbedding.OP.on(r.be());
        assertNotNull(conv, "the cuDNN route offers the convolution");
        assertNull(PatchEmbedding.OP.on(CudaBackend.emulated()), "no route, no convolution: the composed path");
        Random rnd = new Random(11);
        int b = 2, ch = 3, s = 12, p = 4, d = 5, g = s / p;
        Tensor pixels = gaussian(rnd, b, ch, s, s), weight = gaussian(rnd, d, ch, p, p);
        for (String variant : List.of("F32", "BF16 weight", "BF16 pixels and weight")) {
            Tensor w = variant.equals("F32") ? weight : weight.to(DType.BF16);
            Tensor x = variant.startsWith("BF16 pixels") ? pixels.to(DType.BF16) : pixels;
            Tensor got = conv.embed(x, w, p);
            assertArrayEquals(new int[]{b, g * g, d}, got.shape());
            ReferenceBackend ref = ReferenceBackend.DOUBLE;
            Tensor patches = ref.contiguous(x.to(DType.F64).reshape(b, ch, g, p, g, p).permute(0, 2, 4, 1, 3, 5))
                    .reshape(b, g * g, ch * p * p);
            double[] want = ref.matmul(patches, w.to(DType.F64).reshape(d, ch * p * p).transpose(0, 1)).toDoubleArray();
            float[] have = got.toFloatArray();
            // F32: float32 sums of 48 products; BF16 conv: the output rounded to bf16 (2^-8 relative)
            double rtol = variant.startsWith("BF16 pixels") ? 0x1p-8 : 1e-5;
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], have[i], 1e-5 + rtol * Math.abs(want[i]), variant + " [" + i + "]");
            }
        }
        List<EmulatedDnn.Call> calls = r.dnn().calls();
        assertEquals(3, calls.size());
        assertEquals(DnnType.F32, calls.get(1).conv().type(), "a BF16 weight with F32 pixels: F32 convolution");
        assertEquals(DnnType.BF16, calls.get(2).conv().type());
        assertArrayEquals(new int[]{b, d, g, g}, calls.get(0).conv().yShape());
        assertEquals(p, calls.get(0).conv().strideH());
    }

    /** No GPU here: the probe says so in one line and never throws; the GPU backend is not offered. */
    @Test
    void theProbeReportsNoGpu() {
        CudnnDnn.Availability a = CudnnDnn.probe();
        assertFalse(a.conv());
        assertFalse(a.sdpa());
        assertTrue(a.reason().startsWith("cuDNN unavailable: no GPU"), a.reason());
        assertFalse(a.reason().contains("\n"), a.reason());
        assertFalse(Arrays.asList(a.reason().split(" ")).contains("Exception"), a.reason());
    }
}
