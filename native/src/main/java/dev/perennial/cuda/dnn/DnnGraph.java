/*
 * A cuDNN operation graph described in plain Java: its tensors (DnnTensor, by uid) and its operations (DnnOp) in
 * execution order, plus which tensor uids the caller must bind in the variant pack. Both engines consume this one
 * description: gpu.CudnnDnn turns it into backend descriptors (tensors, operations, operation graph, heuristics,
 * execution plan) and binds the pack's device pointers; EmulatedDnn interprets it on the host. So the shapes,
 * strides, types, uids and attributes the emulated device runs are the ones a GPU gets (SdpaGraphs builds them).
 */
package dev.perennial.cuda.dnn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An operation graph: tensors by uid and operations in order; built once per problem, then immutable in use. */
public final class DnnGraph {
    private final String name;
    private final Map<Long, DnnTensor> tensors = new LinkedHashMap<>();
    private final List<DnnOp> ops = new ArrayList<>();
    private long nextVirtual;

    /** @param firstVirtualUid where generated uids (virtual tensors and by-value scalars) start */
    public DnnGraph(String name, long firstVirtualUid) {
        this.name = name;
        this.nextVirtual = firstVirtualUid;
    }

    public String name() { return name; }

    public Map<Long, DnnTensor> tensors() { return Collections.unmodifiableMap(tensors); }

    public List<DnnOp> ops() { return Collections.unmodifiableList(ops); }

    public DnnTensor tensor(long uid) {
        DnnTensor t = tensors.get(uid);
        if (t == null) throw new IllegalArgumentException(name + ": no tensor with uid " + uid);
        return t;
    }

    /** The uids the variant pack must bind: every tensor that is neither virtual nor by value. */
    public List<Long> boundUids() {
        List<Long> uids = new ArrayList<>();
        for (DnnTensor t : tensors.values()) if (!t.isVirtual() && !t.byValue()) uids.add(t.uid());
        return uids;
    }

    /** Adds a tensor in memory (bound in the variant pack) with a caller-chosen uid. */
    public long memory(long uid, String name, long[] dims, long[] strides, DnnType type) {
        return add(new DnnTensor(uid, name, dims, strides, type, false, null));
    }

    /** Adds a virtual tensor with packed strides. */
    public long virtual(String name, DnnType type, long... dims) {
        return add(new DnnTensor(nextVirtual++, name, dims, DnnTensor.packed(dims), type, true, null));
    }

    /** Adds a virtual tensor with the given strides (a transposed view for a reshape). */
    public long virtual(String name, DnnType type, long[] dims, long[] strides) {
        return add(new DnnTensor(nextVirtual++, name, dims, strides, type, true, null));
    }

    /** Adds a by-value float scalar [1, 1, 1, 1]. */
    public long scalar(String name, float value) {
        return add(new DnnTensor(nextVirtual++, name, ones(), ones(), DnnType.F32, false, value));
    }

    /** Adds a by-value int32 scalar [1, 1, 1, 1]. */
    public long scalar(String name, int value) {
        return add(new DnnTensor(nextVirtual++, name, ones(), ones(), DnnType.I32, false, value));
    }

    public void add(DnnOp op) {
        for (DnnOp o : ops) {
            if (o.name().equals(op.name())) throw new IllegalArgumentException(name + ": two operations named " + op.name());
        }
        tensor(op.output());
        ops.add(op);
    }

    private long add(DnnTensor t) {
        if (tensors.putIfAbsent(t.uid(), t) != null) {
            throw new IllegalArgumentException(name + ": uid " + t.uid() + " used twice (" + t.name() + ")");
        }
        return t.uid();
    }

    private static long[] ones() { return new long[]{1, 1, 1, 1}; }

    @Override
    public String toString() { return name + " (" + tensors.size() + " tensors, " + ops.size() + " operations)"; }
}
