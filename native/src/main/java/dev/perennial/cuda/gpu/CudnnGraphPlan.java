/*
 * A DnnGraph translated into the cuDNN backend descriptors that describe it, as plain data: for each descriptor
 * its CUDNN_BACKEND_*_DESCRIPTOR type and the cudnnBackendSetAttribute calls to make on it (attribute name,
 * attribute type, and the values: integers, reals, or references to earlier descriptors), in creation order —
 * tensors, then each operation with the operator descriptor it needs (pointwise, matmul, reduction), then the
 * operation graph. CudnnDnn replays the list against libcudnn; tests read it without a GPU (the constants are
 * compile-time values of the JavaCPP preset, so no native library is loaded), which is how the descriptors a GPU
 * gets are compared with what EmulatedDnn ran. The operation graph's CUDNN_ATTR_OPERATIONGRAPH_HANDLE is set by
 * CudnnDnn (it needs the live handle).
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.dnn.DnnGraph;
import dev.perennial.cuda.dnn.DnnOp;
import dev.perennial.cuda.dnn.DnnTensor;
import dev.perennial.cuda.dnn.DnnType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.*;

/** The backend descriptors of a graph, in creation order (the last one is the operation graph). */
public record CudnnGraphPlan(List<Descriptor> descriptors, Map<Long, Integer> tensorIndex) {

    /** One cudnnBackendSetAttribute call: ints (INT64 or enum values), reals (FLOAT/DOUBLE) or refs (descriptors). */
    public record Attribute(int name, int type, long[] ints, double[] reals, int[] refs) {}

    /** One descriptor: its CUDNN_BACKEND_*_DESCRIPTOR type, what it is (for errors) and its attributes. */
    public record Descriptor(int type, String what, List<Attribute> attributes) {
        /** The attribute named {@code name}, or null. */
        public Attribute attribute(int name) {
            for (Attribute a : attributes) if (a.name() == name) return a;
            return null;
        }
    }

    /** The plan of g. */
    public static CudnnGraphPlan of(DnnGraph g) {
        List<Descriptor> ds = new ArrayList<>();
        Map<Long, Integer> index = new HashMap<>();
        for (DnnTensor t : g.tensors().values()) {
            List<Attribute> a = new ArrayList<>();
            a.add(ints(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, dataType(t.type())));
            a.add(ints(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, t.dims()));
            a.add(ints(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, t.strides()));
            a.add(ints(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, t.uid()));
            a.add(ints(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, t.byValue() ? t.type().bytes() : 16));
            if (t.isVirtual()) a.add(ints(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1));
            if (t.byValue()) a.add(ints(CUDNN_ATTR_TENSOR_IS_BY_VALUE, CUDNN_TYPE_BOOLEAN, 1));
            index.put(t.uid(), ds.size());
            ds.add(new Descriptor(CUDNN_BACKEND_TENSOR_DESCRIPTOR, "tensor " + t, a));
        }
        List<Integer> ops = new ArrayList<>();
        for (DnnOp op : g.ops()) {
            if (op instanceof DnnOp.Matmul m) {
                List<Attribute> md = new ArrayList<>();
                md.add(ints(CUDNN_ATTR_MATMUL_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, CUDNN_DATA_FLOAT));
                boolean overrides = m.mOverride() != 0 || m.nOverride() != 0 || m.kOverride() != 0;
                if (overrides) md.add(new Attribute(CUDNN_ATTR_MATMUL_PADDING_VALUE, CUDNN_TYPE_DOUBLE, null, new double[]{0}, null));
                int desc = add(ds, CUDNN_BACKEND_MATMUL_DESCRIPTOR, m.name() + " (matmul)", md);
                List<Attribute> oa = new ArrayList<>();
                oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_ADESC, index.get(m.a())));
                oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_BDESC, index.get(m.b())));
                oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_CDESC, index.get(m.output())));
                oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_DESC, desc));
                if (m.mOverride() != 0) oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_GEMM_M_OVERRIDE_DESC, index.get(m.mOverride())));
                if (m.nOverride() != 0) oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_GEMM_N_OVERRIDE_DESC, index.get(m.nOverride())));
                if (m.kOverride() != 0) oa.add(refs(CUDNN_ATTR_OPERATION_MATMUL_GEMM_K_OVERRIDE_DESC, index.get(m.kOverride())));
                ops.add(add(ds, CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR, m.name(), oa));
            } else if (op instanceof DnnOp.Pointwise p) {
                List<Attribute> pd = new ArrayList<>();
                pd.add(ints(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, pointwiseMode(p.mode())));
                pd.add(ints(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, dataType(p.math())));
                if (p.axis() >= 0) pd.add(ints(CUDNN_ATTR_POINTWISE_AXIS, CUDNN_TYPE_INT64, p.axis()));
                int desc = add(ds, CUDNN_BACKEND_POINTWISE_DESCRIPTOR, p.name() + " (pointwise)", pd);
                List<Attribute> oa = new ArrayList<>();
                oa.add(refs(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, desc));
                oa.add(refs(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, index.get(p.x())));
                if (p.b() != 0) oa.add(refs(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, index.get(p.b())));
                if (p.t() != 0) oa.add(refs(CUDNN_ATTR_OPERATION_POINTWISE_TDESC, index.get(p.t())));
                oa.add(refs(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, index.get(p.output())));
                ops.add(add(ds, CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, p.name(), oa));
            } else if (op instanceof DnnOp.Reduction r) {
                List<Attribute> rd = new ArrayList<>();
                rd.add(ints(CUDNN_ATTR_REDUCTION_OPERATOR, CUDNN_TYPE_REDUCTION_OPERATOR_TYPE,
                        r.mode() == DnnOp.ReductionMode.MAX ? CUDNN_REDUCE_TENSOR_MAX : CUDNN_REDUCE_TENSOR_ADD));
                rd.add(ints(CUDNN_ATTR_REDUCTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, CUDNN_DATA_FLOAT));
                int desc = add(ds, CUDNN_BACKEND_REDUCTION_DESCRIPTOR, r.name() + " (reduction)", rd);
                List<Attribute> oa = new ArrayList<>();
                oa.add(refs(CUDNN_ATTR_OPERATION_REDUCTION_XDESC, index.get(r.x())));
                oa.add(refs(CUDNN_ATTR_OPERATION_REDUCTION_YDESC, index.get(r.output())));
                oa.add(refs(CUDNN_ATTR_OPERATION_REDUCTION_DESC, desc));
                ops.add(add(ds, CUDNN_BACKEND_OPERATION_REDUCTION_DESCRIPTOR, r.name(), oa));
            } else {
                DnnOp.Reshape r = (DnnOp.Reshape) op;
                ops.add(add(ds, CUDNN_BACKEND_OPERATION_RESHAPE_DESCRIPTOR, r.name(), List.of(
                    refs(CUDNN_ATTR_OPERATION_RESHAPE_XDESC, index.get(r.x())),
                    refs(CUDNN_ATTR_OPERATION_RESHAPE_YDESC, index.get(r.output())))));
            }
        }
        int[] opRefs = ops.stream().mapToInt(Integer::intValue).toArray();
        ds.add(new Descriptor(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, g.name(),
                List.of(new Attribute(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, null, null, opRefs))));
        return new CudnnGraphPlan(List.copyOf(ds), Map.copyOf(index));
    }

    /** The descriptor of the tensor with this uid. */
    public Descriptor tensor(long uid) { return descriptors.get(tensorIndex.get(uid)); }

    /** The operation descriptor named {@code name} (the DnnOp's name). */
    public Descriptor operation(String name) {
        for (Descriptor d : descriptors) if (d.what().equals(name)) return d;
        throw new IllegalArgumentException("no operation " + name);
    }

    /** cudnnDataType_t of a DnnType. */
    public static int dataType(DnnType t) {
        return switch (t) {
            case F32 -> CUDNN_DATA_FLOAT;
            case BF16 -> CUDNN_DATA_BFLOAT16;
            case I32 -> CUDNN_DATA_INT32;
            case BOOL -> CUDNN_DATA_BOOLEAN;
        };
    }

    /** cudnnPointwiseMode_t of a pointwise mode. */
    public static int pointwiseMode(DnnOp.PointwiseMode m) {
        return switch (m) {
            case ADD -> CUDNN_POINTWISE_ADD;
            case SUB -> CUDNN_POINTWISE_SUB;
            case MUL -> CUDNN_POINTWISE_MUL;
            case DIV -> CUDNN_POINTWISE_DIV;
            case EXP -> CUDNN_POINTWISE_EXP;
            case LOG -> CUDNN_POINTWISE_LOG;
            case IDENTITY -> CUDNN_POINTWISE_IDENTITY;
            case GEN_INDEX -> CUDNN_POINTWISE_GEN_INDEX;
            case CMP_GE -> CUDNN_POINTWISE_CMP_GE;
            case CMP_LT -> CUDNN_POINTWISE_CMP_LT;
            case LOGICAL_AND -> CUDNN_POINTWISE_LOGICAL_AND;
            case BINARY_SELECT -> CUDNN_POINTWISE_BINARY_SELECT;
        };
    }

    private static int add(List<Descriptor> ds, int type, String what, List<Attribute> attributes) {
        ds.add(new Descriptor(type, what, attributes));
        return ds.size() - 1;
    }

    private static Attribute ints(int name, int type, long... values) { return new Attribute(name, type, values, null, null); }

    private static Attribute refs(int name, int... refs) { return new Attribute(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, null, null, refs); }
}
