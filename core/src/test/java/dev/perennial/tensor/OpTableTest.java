/*
 * The op test table (ggml test-backend-ops style): every Backend op, on every available backend, against
 * ReferenceBackend, on seeded random inputs of odd and even shapes, size-1 dims, non-contiguous views
 * (transposed, narrowed, expanded), F16/BF16 storage, and sizes large enough to take the parallel paths.
 *
 * A case passes when |out - ref| <= atol + rtol * |ref| element-wise (llm.c's criterion), shapes and dtypes
 * are equal, integer outputs are identical, and NaN/Inf appear in the same places. Tolerances:
 *   element-wise, row-wise, reductions: atol 1e-6, rtol 1e-5 (one float32 rounding of a double result, plus
 *     float32 intermediate rows: softmax stores exp() in float before normalising);
 *   matmul: atol 1e-6 * K, rtol 1e-5 (BLAS accumulates K products of magnitude <= 1 in float32).
 */
package dev.perennial.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.perennial.tensor.TestTensors.*;
import static org.junit.jupiter.api.Assertions.*;

class OpTableTest {

    /** One row of the table: builds its inputs from a fixed seed and runs the op on a backend. */
    record OpCase(String name, double atol, double rtol, Function<Backend, Object> run) {
        @Override
        public String toString() { return name; }
    }

    static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        list.add(new CpuBackend(OpenBlasGemm.INSTANCE));
        list.add(new CpuBackend(JavaGemm.INSTANCE));
        if (GemmChoice.nd4jAvailable()) list.add(new CpuBackend(GemmChoice.byName("nd4j")));
        return list;
    }

    private static final double EW_ATOL = 1e-6, EW_RTOL = 1e-5;

    private static OpCase ew(String name, Function<Backend, Object> run) { return new OpCase(name, EW_ATOL, EW_RTOL, run); }

    private static OpCase mm(String name, int k, Function<Random, Tensor[]> inputs) {
        return new OpCase("matmul " + name, 1e-6 * Math.max(1, k), 1e-5, be -> {
            Tensor[] ab = inputs.apply(new Random(name.hashCode()));
            return be.matmul(ab[0], ab[1]);
        });
    }

    /** A case whose inputs come from a fresh Random seeded by the case name (same inputs on every backend). */
    private static OpCase seeded(String name, java.util.function.BiFunction<Backend, Random, Object> run) {
        return ew(name, be -> run.apply(be, new Random(name.hashCode())));
    }

    static List<OpCase> cases() {
        List<OpCase> c = new ArrayList<>();
        // ---- matmul
        c.add(mm("1x1x1", 1, r -> new Tensor[]{rand(r, 1, 1), rand(r, 1, 1)}));
        c.add(mm("3x7 * 7x5", 7, r -> new Tensor[]{rand(r, 3, 7), rand(r, 7, 5)}));
        c.add(mm("16x16x16", 16, r -> new Tensor[]{rand(r, 16, 16), rand(r, 16, 16)}));
        c.add(mm("33x65 * 65x17", 65, r -> new Tensor[]{rand(r, 33, 65), rand(r, 65, 17)}));
        c.add(mm("64x300 * 300x200", 300, r -> new Tensor[]{rand(r, 64, 300), rand(r, 300, 200)}));
        c.add(mm("row vector 1x9 * 9x4", 9, r -> new Tensor[]{rand(r, 1, 9), rand(r, 9, 4)}));
        c.add(mm("column result 5x3 * 3x1", 3, r -> new Tensor[]{rand(r, 5, 3), rand(r, 3, 1)}));
        c.add(mm("A transposed view", 9, r -> new Tensor[]{transposed(r, 6, 9), rand(r, 9, 4)}));
        c.add(mm("B transposed view (linear x Wt)", 10, r -> new Tensor[]{rand(r, 2, 5, 10), rand(r, 7, 10).transpose(0, 1)}));
        c.add(mm("both transposed", 8, r -> new Tensor[]{transposed(r, 5, 8), transposed(r, 8, 3)}));
        c.add(mm("narrowed A and B (ld > cols)", 6, r -> new Tensor[]{narrowed(r, 4, 6), narrowed(r, 6, 5)}));
        c.add(mm("batched 2x3 [4,5]x[5,6]", 5, r -> new Tensor[]{rand(r, 2, 3, 4, 5), rand(r, 2, 3, 5, 6)}));
        c.add(mm("broadcast batch [2,1,4,5]x[3,5,6]", 5, r -> new Tensor[]{rand(r, 2, 1, 4, 5), rand(r, 3, 5, 6)}));
        c.add(mm("folded batch [3,7,9]x[9,5]", 9, r -> new Tensor[]{rand(r, 3, 7, 9), rand(r, 9, 5)}));
        c.add(mm("non-foldable batch (permuted A)", 9, r -> new Tensor[]{rand(r, 7, 3, 9).permute(1, 0, 2), rand(r, 9, 5)}));
        c.add(mm("expanded batch B", 4, r -> new Tensor[]{rand(r, 3, 2, 4), rand(r, 1, 4, 3).expand(3, 4, 3)}));
        c.add(mm("attention-like q kT [1,4,7,16]", 16, r -> new Tensor[]{rand(r, 1, 7, 4, 16).transpose(1, 2),
                rand(r, 1, 7, 4, 16).permute(0, 2, 3, 1)}));
        c.add(mm("bf16 weight, x Wt", 40, r -> new Tensor[]{rand(r, 3, 40), rand(r, 9, 40).to(DType.BF16).transpose(0, 1)}));
        c.add(mm("f16 weight, x Wt, many tiles", 300, r -> new Tensor[]{rand(r, 2, 300), rand(r, 1000, 300).to(DType.F16).transpose(0, 1)}));
        c.add(mm("f16 weight [K,N] row-major, many tiles", 1100, r -> new Tensor[]{rand(r, 3, 1100), rand(r, 1100, 300).to(DType.F16)}));
        c.add(mm("bf16 weight, A transposed", 12, r -> new Tensor[]{transposed(r, 4, 12), rand(r, 12, 6).to(DType.BF16)}));
        c.add(mm("empty K", 0, r -> new Tensor[]{rand(r, 3, 0), rand(r, 0, 4)}));

        // ---- binary element-wise
        String[] binNames = {"add", "sub", "mul", "div", "swiglu"};
        for (String op : binNames) {
            Function<Backend, java.util.function.BinaryOperator<Tensor>> f = be -> switch (op) {
                case "add" -> be::add;
                case "sub" -> be::sub;
                case "mul" -> be::mul;
                case "div" -> be::div;
                default -> be::swiglu;
            };
            // divisors stay in [0.5, 1.5) so that the quotient is well conditioned
            java.util.function.BiFunction<Random, int[], Tensor> rhs = (r, s) -> op.equals("div") ? uniform(r, 0.5f, 1.5f, s) : rand(r, s);
            c.add(seeded(op + " same shape [3,5,7]", (be, r) -> f.apply(be).apply(rand(r, 3, 5, 7), rhs.apply(r, new int[]{3, 5, 7}))));
            c.add(seeded(op + " broadcast [4,1,6] with [5,1]", (be, r) -> f.apply(be).apply(rand(r, 4, 1, 6), rhs.apply(r, new int[]{5, 1}))));
            c.add(seeded(op + " rank-0 scalar", (be, r) -> f.apply(be).apply(rand(r, 2, 3), rhs.apply(r, new int[0]))));
            c.add(seeded(op + " transposed lhs, row rhs", (be, r) -> f.apply(be).apply(transposed(r, 6, 5), rhs.apply(r, new int[]{5}))));
            c.add(seeded(op + " expanded rhs", (be, r) -> f.apply(be).apply(rand(r, 4, 3), rhs.apply(r, new int[]{4, 1}).expand(4, 3))));
            c.add(seeded(op + " large [300,257] parallel", (be, r) -> f.apply(be).apply(rand(r, 300, 257), rhs.apply(r, new int[]{300, 257}))));
            c.add(seeded(op + " large broadcast [2,200,130] with [130]", (be, r) -> f.apply(be).apply(rand(r, 2, 200, 130), rhs.apply(r, new int[]{130}))));
            c.add(seeded(op + " bf16 lhs", (be, r) -> f.apply(be).apply(rand(r, 5, 8).to(DType.BF16), rhs.apply(r, new int[]{5, 8}))));
            c.add(seeded(op + " empty", (be, r) -> f.apply(be).apply(rand(r, 0, 3), rhs.apply(r, new int[]{1, 3}))));
        }

        // ---- unary element-wise
        record Unary(String name, float lo, float hi, Function<Backend, java.util.function.UnaryOperator<Tensor>> op) {}
        List<Unary> unary = List.of(
                new Unary("exp", -5, 5, be -> be::exp),
                new Unary("log", 0.01f, 10, be -> be::log),
                new Unary("sqrt", 0, 10, be -> be::sqrt),
                new Unary("tanh", -4, 4, be -> be::tanh),
                new Unary("erf", -4, 4, be -> be::erf),
                new Unary("gelu", -6, 6, be -> be::gelu),
                new Unary("geluTanh", -6, 6, be -> be::geluTanh),
                new Unary("quickGelu", -6, 6, be -> be::quickGelu),
                new Unary("silu", -8, 8, be -> be::silu),
                new Unary("scale", -3, 3, be -> t -> be.scale(t, -1.75f)));
        for (Unary u : unary) {
            c.add(seeded(u.name + " [7]", (be, r) -> u.op.apply(be).apply(uniform(r, u.lo, u.hi, 7))));
            c.add(seeded(u.name + " [1]", (be, r) -> u.op.apply(be).apply(uniform(r, u.lo, u.hi, 1))));
            c.add(seeded(u.name + " transposed [9,4]", (be, r) -> u.op.apply(be).apply(uniform(r, u.lo, u.hi, 4, 9).transpose(0, 1))));
            c.add(seeded(u.name + " large [513,130]", (be, r) -> u.op.apply(be).apply(uniform(r, u.lo, u.hi, 513, 130))));
            c.add(seeded(u.name + " f16 [6,5]", (be, r) -> u.op.apply(be).apply(uniform(r, u.lo, u.hi, 6, 5).to(DType.F16))));
        }

        // ---- softmax / log-softmax
        for (String op : new String[]{"softmax", "logSoftmax"}) {
            java.util.function.BiFunction<Backend, Tensor[], Tensor> f = (be, xm) ->
                    op.equals("softmax") ? be.softmax(xm[0], xm[1]) : be.logSoftmax(xm[0], xm[1]);
            c.add(seeded(op + " [5,7]", (be, r) -> f.apply(be, new Tensor[]{uniform(r, -4, 4, 5, 7), null})));
            c.add(seeded(op + " [1,1]", (be, r) -> f.apply(be, new Tensor[]{rand(r, 1, 1), null})));
            c.add(seeded(op + " causal mask broadcast [2,3,4,4] + [4,4] with all-masked row", (be, r) -> {
                Tensor mask = Tensor.zeros(4, 4);
                for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) if (j > i || i == 0) mask.setFloat(Float.NEGATIVE_INFINITY, i, j);
                return f.apply(be, new Tensor[]{uniform(r, -4, 4, 2, 3, 4, 4), mask});
            }));
            c.add(seeded(op + " finite-min padding mask [2,1,1,9]", (be, r) -> {
                Tensor mask = Tensor.zeros(2, 1, 1, 9);
                for (int j = 6; j < 9; j++) mask.setFloat(-3.4028235e38f, 1, 0, 0, j);
                return f.apply(be, new Tensor[]{uniform(r, -4, 4, 2, 3, 5, 9), mask});
            }));
            c.add(seeded(op + " transposed [6,11]", (be, r) -> f.apply(be, new Tensor[]{transposed(r, 6, 11), null})));
            c.add(seeded(op + " large [200,513]", (be, r) -> f.apply(be, new Tensor[]{uniform(r, -8, 8, 200, 513), null})));
        }
        c.add(seeded("softmax scaled, attention-shaped mask [1,2,3,5,7] + [1,1,1,5,7]", (be, r) -> {
            Tensor mask = Tensor.zeros(1, 1, 1, 5, 7);
            for (int i = 0; i < 5; i++) for (int j = i + 3; j < 7; j++) mask.setFloat(Float.NEGATIVE_INFINITY, 0, 0, 0, i, j);
            return be.softmax(uniform(r, -20, 20, 1, 2, 3, 5, 7), 0.25f, mask);
        }));
        c.add(seeded("logSoftmax with a bf16 mask [4,6] + [6]", (be, r) -> be.logSoftmax(rand(r, 4, 6), uniform(r, -2, 0, 6).to(DType.BF16))));
        c.add(seeded("softmax scaled, transposed input, large [300,130]", (be, r) -> be.softmax(transposed(r, 300, 130), 0.125f, null)));

        // ---- normalisation
        c.add(seeded("layerNorm [3,7] weight+bias", (be, r) -> be.layerNorm(rand(r, 3, 7), rand(r, 7), rand(r, 7), 1e-5f)));
        c.add(seeded("layerNorm [5,32] no affine", (be, r) -> be.layerNorm(uniform(r, 2, 5, 5, 32), null, null, 1e-5f)));
        c.add(seeded("layerNorm transposed [8,6]", (be, r) -> be.layerNorm(transposed(r, 8, 6), rand(r, 6), null, 1e-5f)));
        c.add(seeded("layerNorm large [400,257]", (be, r) -> be.layerNorm(rand(r, 400, 257), rand(r, 257), rand(r, 257), 1e-5f)));
        c.add(seeded("layerNorm [2,1] (constant row)", (be, r) -> be.layerNorm(rand(r, 2, 1), null, null, 1e-5f)));
        c.add(seeded("rmsNorm [4,16] weight", (be, r) -> be.rmsNorm(rand(r, 4, 16), rand(r, 16), 1e-6f)));
        c.add(seeded("rmsNorm [1,1]", (be, r) -> be.rmsNorm(rand(r, 1, 1), null, 1e-5f)));
        c.add(seeded("rmsNorm narrowed [5,9]", (be, r) -> be.rmsNorm(narrowed(r, 5, 9), rand(r, 9), 1e-5f)));
        c.add(seeded("rmsNorm large [300,130] bf16 weight", (be, r) -> be.rmsNorm(rand(r, 300, 130), rand(r, 130).to(DType.BF16), 1e-5f)));

        // ---- rope
        c.add(seeded("rope [2,3,5,8] positions [5]", (be, r) -> be.rope(rand(r, 2, 3, 5, 8), Tensor.ofLongs(new long[]{0, 1, 2, 3, 4}, 5), 10000f)));
        c.add(seeded("rope [2,2,3,16] per-batch I32 positions", (be, r) ->
                be.rope(rand(r, 2, 2, 3, 16), Tensor.ofInts(new int[]{7, 8, 9, 100, 101, 102}, 2, 3), 10000f)));
        c.add(seeded("rope on [B,T,H,hd] transposed to [B,H,T,hd]", (be, r) ->
                be.rope(rand(r, 1, 6, 4, 16).transpose(1, 2), ids(r, DType.I64, 2048, 6), 500000f)));
        c.add(seeded("rope large [1,8,64,64]", (be, r) -> be.rope(rand(r, 1, 8, 64, 64), ids(r, DType.I64, 4096, 64), 10000f)));

        // ---- indexing
        c.add(seeded("embedding [11,6] ids [2,3] I64", (be, r) -> be.embedding(rand(r, 11, 6), ids(r, DType.I64, 11, 2, 3))));
        c.add(seeded("embedding bf16 table, I32 ids [5]", (be, r) -> be.embedding(rand(r, 20, 7).to(DType.BF16), ids(r, DType.I32, 20, 5))));
        c.add(seeded("embedding large [320,64] ids [600]", (be, r) -> be.embedding(rand(r, 320, 64), ids(r, DType.I64, 320, 600))));
        c.add(seeded("concat dim 0", (be, r) -> be.concat(List.of(rand(r, 2, 3), rand(r, 1, 3), rand(r, 4, 3)), 0)));
        c.add(seeded("concat dim -1 with views", (be, r) -> be.concat(List.of(transposed(r, 3, 2), rand(r, 3, 5), narrowed(r, 3, 1)), -1)));
        c.add(seeded("concat middle dim [2,x,3]", (be, r) -> be.concat(List.of(rand(r, 2, 1, 3), rand(r, 2, 4, 3)), 1)));
        c.add(seeded("concat I64", (be, r) -> be.concat(List.of(ids(r, DType.I64, 99, 3), ids(r, DType.I64, 99, 2)), 0)));
        c.add(seeded("split dim 1", (be, r) -> be.split(rand(r, 3, 9), new int[]{2, 0, 7}, 1)));
        c.add(seeded("stack dim 0", (be, r) -> be.stack(List.of(rand(r, 2, 3), rand(r, 2, 3)), 0)));
        c.add(seeded("stack dim -1", (be, r) -> be.stack(List.of(rand(r, 4), transposed(r, 2, 2).reshape(4), rand(r, 4)), -1)));

        // ---- reductions
        for (boolean keep : new boolean[]{false, true}) {
            String k = keep ? " keepDim" : "";
            c.add(seeded("sum dim 0" + k, (be, r) -> be.sum(rand(r, 4, 5), 0, keep)));
            c.add(seeded("sum dim -1" + k, (be, r) -> be.sum(rand(r, 3, 1, 7), -1, keep)));
            c.add(seeded("sum size-1 dim" + k, (be, r) -> be.sum(rand(r, 3, 1, 7), 1, keep)));
            c.add(seeded("mean dim 1 transposed" + k, (be, r) -> be.mean(transposed(r, 2, 6, 5), 1, keep)));
            c.add(seeded("mean large [64,2049] dim -1" + k, (be, r) -> be.mean(rand(r, 64, 2049), -1, keep)));
            c.add(seeded("max dim 1" + k, (be, r) -> be.max(coarse(r, 3, 8, 2), 1, keep)));
            c.add(seeded("max expanded" + k, (be, r) -> be.max(rand(r, 1, 5).expand(4, 5), 0, keep)));
        }
        c.add(seeded("max with NaN", (be, r) -> be.max(Tensor.of(new float[]{1, Float.NaN, 3, 2, 5, 4}, 2, 3), -1, false)));
        c.add(seeded("sum bf16", (be, r) -> be.sum(rand(r, 6, 7).to(DType.BF16), 1, false)));
        c.add(seeded("argmax with ties [6,9]", (be, r) -> be.argmax(coarse(r, 6, 9))));
        c.add(seeded("argmax transposed", (be, r) -> be.argmax(transposed(r, 5, 13))));
        c.add(seeded("argmax with NaN", (be, r) -> be.argmax(Tensor.of(new float[]{Float.NaN, 1, 1, 2, Float.NaN, 2}, 2, 3))));
        c.add(seeded("argmax large [128,320]", (be, r) -> be.argmax(rand(r, 128, 320))));
        for (int k : new int[]{0, 1, 3, 9}) {
            c.add(seeded("topk k=" + k + " ties [5,9]", (be, r) -> be.topk(coarse(r, 5, 9), k)));
        }
        c.add(seeded("topk k=4 [2,3,40] transposed input", (be, r) -> be.topk(transposed(r, 2, 3, 40), 4)));
        c.add(seeded("topk with NaN", (be, r) -> be.topk(Tensor.of(new float[]{Float.NaN, 3, Float.NaN, 3, 7}, 1, 5), 4)));
        c.add(seeded("topk large [256,300] k=5", (be, r) -> be.topk(rand(r, 256, 300), 5)));
        c.add(seeded("crossEntropy [7,11] with ignore", (be, r) -> {
            Tensor t = ids(r, DType.I64, 11, 7);
            t.setLong(-100, 2);
            t.setLong(-100, 5);
            return be.crossEntropy(uniform(r, -5, 5, 7, 11), t, -100);
        }));
        c.add(seeded("crossEntropy transposed logits, I32 targets", (be, r) -> be.crossEntropy(transposed(r, 6, 4), ids(r, DType.I32, 4, 6), -100)));
        c.add(seeded("crossEntropy large [96,320]", (be, r) -> be.crossEntropy(uniform(r, -10, 10, 96, 320), ids(r, DType.I64, 320, 96), -100)));
        // ---- attention (GQA, causal with a cache offset, padding incl. a query that sees no key, cache views)
        c.add(attn("attention full MHA [2,3,5,8]", (be, r) -> be.attention(rand(r, 2, 3, 5, 8), rand(r, 2, 3, 5, 8),
                rand(r, 2, 3, 5, 8), AttentionMask.none(), 0.35f)));
        c.add(attn("attention causal GQA 4/2 hd 33", (be, r) -> be.attention(rand(r, 1, 4, 7, 33), rand(r, 1, 2, 7, 33),
                rand(r, 1, 2, 7, 33), AttentionMask.causal(0, null), 0.17f)));
        c.add(attn("attention causal decode T=1 after 12 cached, MQA, padding", (be, r) -> be.attention(rand(r, 2, 4, 1, 16),
                rand(r, 2, 1, 13, 16), rand(r, 2, 1, 13, 16), AttentionMask.causal(12, new boolean[][]{
                        valid(13, 0, 1, 2), valid(13)}), 0.25f)));
        c.add(attn("attention padding hides every key of a query", (be, r) -> be.attention(rand(r, 2, 2, 3, 4),
                rand(r, 2, 2, 5, 4), rand(r, 2, 2, 5, 4), AttentionMask.causal(2, new boolean[][]{
                        valid(5, 0, 1, 2, 3), valid(5)}), 0.5f)));
        c.add(attn("attention k/v narrowed from a [1,2,16,8] cache", (be, r) -> be.attention(rand(r, 1, 4, 3, 8),
                rand(r, 1, 2, 16, 8).narrow(2, 0, 9), rand(r, 1, 2, 16, 8).narrow(2, 0, 9),
                AttentionMask.causal(6, null), 0.3f)));
        c.add(attn("attention bigger causal [1,4,67,64] GQA 4/1", (be, r) -> be.attention(rand(r, 1, 4, 67, 64),
                rand(r, 1, 1, 67, 64), rand(r, 1, 1, 67, 64), AttentionMask.causal(0, null), 0.125f)));
        return c;
    }

    // Attention composes two matmuls and a softmax in float32: 1e-5 absolute, 1e-4 relative.
    private static OpCase attn(String name, java.util.function.BiFunction<Backend, Random, Object> run) {
        return new OpCase(name, 1e-5, 1e-4, be -> run.apply(be, new Random(name.hashCode())));
    }

    // [n] validity with the listed key positions invalid.
    private static boolean[] valid(int n, int... invalid) {
        boolean[] v = new boolean[n];
        java.util.Arrays.fill(v, true);
        for (int i : invalid) v[i] = false;
        return v;
    }

    static Stream<Arguments> table() {
        List<Arguments> args = new ArrayList<>();
        for (Backend be : backends()) for (OpCase oc : cases()) args.add(Arguments.of(be.name(), oc, be));
        return args.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("table")
    void matchesReference(String backendName, OpCase oc, Backend backend) {
        List<Tensor> expected = flatten(oc.run.apply(ReferenceBackend.INSTANCE));
        List<Tensor> actual = flatten(oc.run.apply(backend));
        assertEquals(expected.size(), actual.size(), "number of outputs");
        for (int i = 0; i < expected.size(); i++) assertClose(expected.get(i), actual.get(i), oc.atol, oc.rtol, oc.name);
    }

    static List<Tensor> flatten(Object o) {
        if (o instanceof Tensor t) return List.of(t);
        if (o instanceof Backend.TopK tk) return List.of(tk.values(), tk.indices());
        List<Tensor> l = new ArrayList<>();
        for (Object x : (List<?>) o) l.add((Tensor) x);
        return l;
    }

    static void assertClose(Tensor ref, Tensor out, double atol, double rtol, String what) {
        assertArrayEquals(ref.shape(), out.shape(), what + ": shape");
        assertEquals(ref.dtype().isFloating(), out.dtype().isFloating(), what + ": dtype kind");
        if (!ref.dtype().isFloating()) {
            assertArrayEquals(ref.toLongArray(), out.toLongArray(), what + ": integer output");
            return;
        }
        double[] r = ref.toDoubleArray(), a = out.toDoubleArray();
        for (int i = 0; i < r.length; i++) {
            if (Double.isNaN(r[i]) || Double.isInfinite(r[i])) {
                assertEquals(r[i], a[i], what + ": special value at " + i);
                continue;
            }
            double err = Math.abs(a[i] - r[i]);
            if (!(err <= atol + rtol * Math.abs(r[i]))) {
                fail(what + ": element " + i + " is " + a[i] + ", reference " + r[i] + " (|diff| " + err
                        + " > " + (atol + rtol * Math.abs(r[i])) + ")");
            }
        }
    }
}
