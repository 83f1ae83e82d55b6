/*
 * cuDNN on the GPU, through the JavaCPP CUDA preset (org.bytedeco.cuda.global.cudnn): the patch-embedding
 * convolution on the legacy API (tensor, filter and convolution descriptors, cudnnGetConvolutionForwardAlgorithm_v7,
 * cudnnConvolutionForward; FMA math unless -Dperennial.cuda.tf32=true), and the SDPA graphs on the backend API:
 * CudnnGraphPlan's descriptors are created, given their attributes and finalized, the operation graph gets engine
 * configurations from CUDNN_HEUR_MODE_A heuristics, the first configuration that finalizes into an execution plan
 * is kept (per graph), and each call builds a variant pack (uids, device pointers, by-value scalars as host
 * pointers, workspace from the device pool) and runs cudnnBackendExecute on the backend's stream.
 *
 * probe() decides once whether any of this may be used, never throwing and logging at DEBUG only: a GPU must exist
 * (GpuProbe; the preset is not touched otherwise), the cuDNN library must load, a handle must be created; SDPA
 * additionally needs cuDNN 8.9.0 or later and an execution plan for a small causal forward and backward graph.
 * Anything else keeps the hand-written kernels.
 *
 * Not run here (no GPU): this code is compiled against the preset; its descriptors are tested through
 * CudnnGraphPlan, its calls' semantics through EmulatedDnn (docs/kernels.md "cuDNN": what only a GPU confirms).
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.DeviceMemory;
import dev.perennial.cuda.dnn.ConvProblem;
import dev.perennial.cuda.dnn.DeviceDnn;
import dev.perennial.cuda.dnn.DnnGraph;
import dev.perennial.cuda.dnn.DnnTensor;
import dev.perennial.cuda.dnn.DnnType;
import dev.perennial.cuda.dnn.SdpaGraphs;
import dev.perennial.cuda.dnn.SdpaProblem;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnBackendDescriptor_t;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.*;

/** cuDNN through the JavaCPP preset (a GPU only; see {@link #probe()}). */
public final class CudnnDnn implements DeviceDnn {
    private static final Logger LOG = LoggerFactory.getLogger(CudnnDnn.class);
    private static final int MAX_ENGINE_CONFIGS = 16;

    /** What the probe found: whether the convolution and SDPA may use cuDNN, and why (one line). */
    public record Availability(boolean conv, boolean sdpa, String reason) {}

    private static volatile Availability probed;

    private final DeviceMemory memory;
    private final boolean sdpa;
    private final boolean tf32;
    private final cudnnContext handle = new cudnnContext();
    private final Map<DnnGraph, Plan> plans = new IdentityHashMap<>();

    CudnnDnn(DeviceMemory memory, boolean sdpa, boolean tf32) {
        this.memory = memory;
        this.sdpa = sdpa;
        this.tf32 = tf32;
        check("cudnnCreate", cudnnCreate(handle));
        check("cudnnSetStream", cudnnSetStream(handle, (CUstream_st) memory.stream()));
    }

    /**
     * Whether cuDNN can be used here, decided once and never throwing: "no GPU" (with GpuProbe's reason) where
     * there is none, else whether libcudnn loads, its version, and for SDPA whether cuDNN plans the fused graphs.
     */
    public static Availability probe() {
        Availability a = probed;
        if (a == null) {
            synchronized (CudnnDnn.class) {
                if (probed == null) probed = runProbe();
                a = probed;
            }
            LOG.debug("cuDNN probe: {}", a.reason());
        }
        return a;
    }

    private static Availability runProbe() {
        if (!GpuProbe.available()) return new Availability(false, false, "cuDNN unavailable: no GPU (" + GpuProbe.reason() + ")");
        long version;
        try {
            Loader.load(org.bytedeco.cuda.global.cudnn.class);
            version = cudnnGetVersion();
        } catch (Throwable t) {
            return new Availability(false, false, "cuDNN unavailable: the library did not load (" + t + ")");
        }
        String v = version / 10000 + "." + version / 100 % 100 + "." + version % 100;
        if (version < 8900) return new Availability(true, false, "cuDNN " + v + ": convolution only (fused SDPA needs 8.9.0)");
        try {
            CudnnDnn d = new CudnnDnn(ManagedMemory.create(), true, false);
            SdpaProblem p = new SdpaProblem(1, 2, 1, 64, 64, 64, DnnTensor.packed(1, 2, 64, 64), DnnTensor.packed(1, 1, 64, 64),
                    DnnTensor.packed(1, 1, 64, 64), 0.125f, true, 0, null);
            String why = d.unsupported(SdpaGraphs.forward(p));
            if (why == null) why = d.unsupported(SdpaGraphs.backward(p));
            return why == null ? new Availability(true, true, "cuDNN " + v + ": convolution and fused SDPA")
                    : new Availability(true, false, "cuDNN " + v + ": convolution only (SDPA: " + why + ")");
        } catch (Throwable t) {
            return new Availability(false, false, "cuDNN " + v + " unusable: " + t.getMessage());
        }
    }

    @Override
    public String name() { return "cuDNN " + cudnnGetVersion(); }

    @Override
    public boolean sdpa() { return sdpa; }

    @Override
    public synchronized boolean supports(DnnGraph g) { return unsupported(g) == null; }

    @Override
    public synchronized void convForward(ConvProblem p, Tensor x, Tensor w, Tensor y) {
        int type = CudnnGraphPlan.dataType(p.type());
        long[] xs = p.xStrides(), ys = p.yStrides();
        cudnnTensorStruct xd = new cudnnTensorStruct(), yd = new cudnnTensorStruct();
        cudnnFilterStruct wd = new cudnnFilterStruct();
        cudnnConvolutionStruct cd = new cudnnConvolutionStruct();
        check("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(xd));
        check("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(yd));
        check("cudnnCreateFilterDescriptor", cudnnCreateFilterDescriptor(wd));
        check("cudnnCreateConvolutionDescriptor", cudnnCreateConvolutionDescriptor(cd));
        try (FloatPointer one = new FloatPointer(1f); FloatPointer zero = new FloatPointer(0f);
             IntPointer returned = new IntPointer(1); cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(8)) {
            check("cudnnSetTensor4dDescriptorEx x", cudnnSetTensor4dDescriptorEx(xd, type, p.n(), p.c(), p.h(), p.w(),
                    (int) xs[0], (int) xs[1], (int) xs[2], (int) xs[3]));
            check("cudnnSetFilter4dDescriptor", cudnnSetFilter4dDescriptor(wd, type, CUDNN_TENSOR_NCHW, p.k(), p.c(), p.r(), p.s()));
            check("cudnnSetTensor4dDescriptorEx y", cudnnSetTensor4dDescriptorEx(yd, type, p.n(), p.k(), p.p(), p.q(),
                    (int) ys[0], (int) ys[1], (int) ys[2], (int) ys[3]));
            check("cudnnSetConvolution2dDescriptor", cudnnSetConvolution2dDescriptor(cd, p.padH(), p.padW(), p.strideH(),
                    p.strideW(), p.dilationH(), p.dilationW(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
            check("cudnnSetConvolutionMathType", cudnnSetConvolutionMathType(cd,
                    p.type() == DnnType.BF16 || tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
            check("cudnnGetConvolutionForwardAlgorithm_v7", cudnnGetConvolutionForwardAlgorithm_v7(handle, xd, wd, cd, yd,
                    8, returned, perf));
            int algo = -1;
            long workspace = 0;
            for (int i = 0; i < returned.get(); i++) {
                cudnnConvolutionFwdAlgoPerf_t c = perf.getPointer(i);
                if (c.status() == CUDNN_STATUS_SUCCESS) {
                    algo = c.algo();
                    workspace = c.memory();
                    break;
                }
            }
            if (algo < 0) throw new IllegalStateException("cuDNN has no forward algorithm for " + p);
            Tensor ws = workspace == 0 ? null : memory.empty(DType.U8, (int) workspace);
            try {
                check("cudnnConvolutionForward", cudnnConvolutionForward(handle, one, xd, at(x), wd, at(w), cd, algo,
                        ws == null ? null : at(ws), workspace, zero, yd, at(y)));
                memory.synchronize();
            } finally {
                if (ws != null) ws.close();
            }
        } finally {
            cudnnDestroyTensorDescriptor(xd);
            cudnnDestroyTensorDescriptor(yd);
            cudnnDestroyFilterDescriptor(wd);
            cudnnDestroyConvolutionDescriptor(cd);
        }
    }

    @Override
    public synchronized void execute(DnnGraph g, Map<Long, Tensor> pack) {
        String why = unsupported(g);
        if (why != null) throw new IllegalStateException("cuDNN cannot run " + g + ": " + why);
        Plan plan = plans.get(g);
        List<Long> uids = new ArrayList<>();
        List<Pointer> pointers = new ArrayList<>();
        List<Pointer> scalars = new ArrayList<>();
        for (DnnTensor t : g.tensors().values()) {
            if (t.isVirtual()) continue;
            Pointer p;
            if (t.byValue()) {
                p = t.type() == DnnType.I32 ? new IntPointer(1).put(t.value().intValue()) : new FloatPointer(1).put(t.value().floatValue());
                scalars.add(p);
            } else {
                Tensor bound = pack.get(t.uid());
                if (bound == null) throw new IllegalArgumentException(g.name() + ": the variant pack lacks " + t);
                p = at(bound);
            }
            uids.add(t.uid());
            pointers.add(p);
        }
        Tensor ws = plan.workspace == 0 ? null : memory.empty(DType.U8, (int) plan.workspace);
        cudnnBackendDescriptor_t pack_ = create(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
        try (LongPointer ids = new LongPointer(uids.size()); PointerPointer<Pointer> ptrs = new PointerPointer<>(pointers.size());
             PointerPointer<Pointer> wsp = new PointerPointer<>(1)) {
            for (int i = 0; i < uids.size(); i++) {
                ids.put(i, uids.get(i));
                ptrs.put(i, pointers.get(i));
            }
            wsp.put(0, ws == null ? null : at(ws));
            set(pack_, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, uids.size(), ids);
            set(pack_, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, pointers.size(), ptrs);
            set(pack_, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, wsp);
            check("cudnnBackendFinalize(variant pack)", cudnnBackendFinalize(pack_));
            check("cudnnBackendExecute " + g.name(), cudnnBackendExecute(handle, plan.plan, pack_));
            memory.synchronize();
        } finally {
            cudnnBackendDestroyDescriptor(pack_);
            if (ws != null) ws.close();
            for (Pointer p : scalars) p.close();
        }
    }

    private record Plan(cudnnBackendDescriptor_t plan, long workspace, String failure) {}

    // Null when cuDNN has an execution plan for g (built once and kept), else why not.
    private String unsupported(DnnGraph g) {
        Plan p = plans.get(g);
        if (p == null) {
            p = build(g);
            plans.put(g, p);
            if (p.failure() != null) LOG.debug("cuDNN has no plan for {}: {}", g, p.failure());
        }
        return p.failure();
    }

    // The descriptors of CudnnGraphPlan, heuristics mode A, and the first engine configuration that finalizes.
    private Plan build(DnnGraph g) {
        CudnnGraphPlan plan = CudnnGraphPlan.of(g);
        List<cudnnBackendDescriptor_t> made = new ArrayList<>();
        try {
            for (CudnnGraphPlan.Descriptor d : plan.descriptors()) {
                cudnnBackendDescriptor_t desc = create(d.type());
                made.add(desc);
                for (CudnnGraphPlan.Attribute a : d.attributes()) apply(desc, a, made);
                if (d.type() == CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR) {
                    try (PointerPointer<cudnnContext> h = new PointerPointer<>(handle)) {
                        set(desc, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, h);
                    }
                }
                int status = cudnnBackendFinalize(desc);
                if (status != CUDNN_STATUS_SUCCESS) return new Plan(null, 0, d.what() + ": " + error(status));
            }
            cudnnBackendDescriptor_t opGraph = made.get(made.size() - 1);
            cudnnBackendDescriptor_t heur = create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
            try (PointerPointer<cudnnBackendDescriptor_t> og = new PointerPointer<>(opGraph);
                 IntPointer mode = new IntPointer(1).put(CUDNN_HEUR_MODE_A); LongPointer count = new LongPointer(1)) {
                set(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, og);
                set(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, mode);
                int status = cudnnBackendFinalize(heur);
                if (status != CUDNN_STATUS_SUCCESS) return new Plan(null, 0, "heuristics: " + error(status));
                cudnnBackendDescriptor_t[] cfgs = new cudnnBackendDescriptor_t[MAX_ENGINE_CONFIGS];
                PointerPointer<cudnnBackendDescriptor_t> cfgPtrs = new PointerPointer<>(MAX_ENGINE_CONFIGS);
                for (int i = 0; i < cfgs.length; i++) {
                    cfgs[i] = create(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
                    cfgPtrs.put(i, cfgs[i]);
                }
                check("engine configurations", cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS,
                        CUDNN_TYPE_BACKEND_DESCRIPTOR, MAX_ENGINE_CONFIGS, count, cfgPtrs));
                String last = "no engine configuration";
                for (int i = 0; i < count.get(); i++) {
                    cudnnBackendDescriptor_t ep = create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
                    try (PointerPointer<cudnnContext> h = new PointerPointer<>(handle);
                         PointerPointer<cudnnBackendDescriptor_t> cfg = new PointerPointer<>(cfgs[i])) {
                        set(ep, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, h);
                        set(ep, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, cfg);
                        status = cudnnBackendFinalize(ep);
                        if (status == CUDNN_STATUS_SUCCESS) {
                            try (LongPointer ws = new LongPointer(1); LongPointer n = new LongPointer(1)) {
                                check("workspace size", cudnnBackendGetAttribute(ep, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                        CUDNN_TYPE_INT64, 1, n, ws));
                                return new Plan(ep, ws.get(), null);
                            }
                        }
                        last = "engine configuration " + i + ": " + error(status);
                        cudnnBackendDestroyDescriptor(ep);
                    }
                }
                return new Plan(null, 0, last);
            }
        } catch (RuntimeException e) {
            return new Plan(null, 0, e.getMessage());
        }
    }

    private static void apply(cudnnBackendDescriptor_t desc, CudnnGraphPlan.Attribute a, List<cudnnBackendDescriptor_t> made) {
        if (a.refs() != null) {
            try (PointerPointer<cudnnBackendDescriptor_t> p = new PointerPointer<>(a.refs().length)) {
                for (int i = 0; i < a.refs().length; i++) p.put(i, made.get(a.refs()[i]));
                set(desc, a.name(), a.type(), a.refs().length, p);
            }
        } else if (a.reals() != null) {
            try (DoublePointer p = new DoublePointer(a.reals())) { set(desc, a.name(), a.type(), a.reals().length, p); }
        } else if (a.type() == CUDNN_TYPE_INT64) {
            try (LongPointer p = new LongPointer(a.ints())) { set(desc, a.name(), a.type(), a.ints().length, p); }
        } else if (a.type() == CUDNN_TYPE_BOOLEAN) {
            try (BoolPointer p = new BoolPointer(1).put(a.ints()[0] != 0)) { set(desc, a.name(), a.type(), 1, p); }
        } else {                                                             // enum-valued attributes are C ints
            int[] v = new int[a.ints().length];
            for (int i = 0; i < v.length; i++) v[i] = (int) a.ints()[i];
            try (IntPointer p = new IntPointer(v)) { set(desc, a.name(), a.type(), v.length, p); }
        }
    }

    private static cudnnBackendDescriptor_t create(int type) {
        cudnnBackendDescriptor_t d = new cudnnBackendDescriptor_t();
        check("cudnnBackendCreateDescriptor(" + type + ")", cudnnBackendCreateDescriptor(type, d));
        return d;
    }

    private static void set(cudnnBackendDescriptor_t d, int name, int type, long count, Pointer values) {
        check("cudnnBackendSetAttribute(" + name + ")", cudnnBackendSetAttribute(d, name, type, count, values));
    }

    private static Pointer at(Tensor t) {
        return new BytePointer(t.storage().pointer()).position((long) t.offset() * t.dtype().byteSize());
    }

    private static String error(int status) { return cudnnGetErrorString(status).getString() + " (" + status + ")"; }

    private static void check(String call, int status) {
        if (status != CUDNN_STATUS_SUCCESS) throw new IllegalStateException(call + " failed: " + error(status));
    }
}
