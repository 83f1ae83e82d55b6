/*
 * Per-parameter optimiser state (PyTorch's optimizer.state[p]) keyed by parameter name, and its checkpoint form.
 *
 * A parameter gets state the first time it is updated: its own step count and a fixed list of float32 "slots"
 * shaped like the parameter (AdamW: exp_avg, exp_avg_sq; SGD with momentum: momentum_buffer), all zero.
 * The step count is per parameter because PyTorch keeps state["step"] per parameter: one that first receives a
 * gradient at optimiser step 5 gets the bias correction of its own first step. (PyTorch's SGD starts the
 * momentum buffer as a copy of the first d_p; with dampening 0, momentum * 0 + d_p is exactly that copy.)
 *
 * Checkpoint form, flat so that SafetensorsWriter can store it: "step" = optimiser steps taken (int64 scalar);
 * per parameter "step/<name>" (int64 scalar) and "<slot>/<name>" (float32, the parameter's shape). Parameters are
 * listed in name order. Export copies; load validates the whole map (every problem is listed in one message)
 * and copies it before anything is replaced. Whether a slot's shape fits its parameter is checked when the
 * parameter is next updated (checkShape), since the state alone does not know the parameters.
 */
package dev.perennial.train;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

final class OptimizerState {
    static final String STEP = "step";

    /** State of one parameter. */
    static final class ParameterState {
        private long steps;
        private final Tensor[] slots;

        private ParameterState(long steps, Tensor[] slots) {
            this.steps = steps;
            this.slots = slots;
        }

        /** Counts one more update of this parameter and returns the new count (PyTorch's step_t += 1). */
        long advance() { return ++steps; }

        Tensor slot(int i) { return slots[i]; }
    }

    private final List<String> slotNames;
    private final Backend backend;                      // where the slots live (the parameters' backend)
    private final Map<String, ParameterState> parameters = new TreeMap<>();
    private long steps;

    OptimizerState(List<String> slotNames, Backend backend) {
        this.slotNames = List.copyOf(slotNames);
        this.backend = backend;
    }

    int slotCount() { return slotNames.size(); }

    long steps() { return steps; }

    void countStep() { steps++; }

    /** Throws if {@code name} has state whose shape differs from {@code shape}. */
    void checkShape(String name, int[] shape) {
        ParameterState s = parameters.get(name);
        if (s != null && s.slots.length > 0 && !Arrays.equals(s.slots[0].shape(), shape)) {
            throw new IllegalArgumentException("optimizer state of '" + name + "' has shape "
                    + Arrays.toString(s.slots[0].shape()) + ", the parameter has " + Arrays.toString(shape));
        }
    }

    /** The state of {@code name}, created (zero slots of {@code shape}, no steps) if it has none yet. */
    ParameterState of(String name, int[] shape) {
        return parameters.computeIfAbsent(name, n -> {
            Tensor[] slots = new Tensor[slotNames.size()];
            for (int i = 0; i < slots.length; i++) slots[i] = backend.zeros(DType.F32, shape);
            return new ParameterState(0, slots);
        });
    }

    Map<String, Tensor> export() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(STEP, Tensor.ofLongs(new long[]{steps}));
        parameters.forEach((name, s) -> {
            out.put(STEP + "/" + name, Tensor.ofLongs(new long[]{s.steps}));
            for (int i = 0; i < slotNames.size(); i++) out.put(slotNames.get(i) + "/" + name, s.slots[i].to(DType.F32));
        });
        return out;
    }

    void load(Map<String, Tensor> state) {
        List<String> problems = new ArrayList<>();
        Map<String, Long> stepOf = new TreeMap<>();
        Map<String, Tensor[]> slotsOf = new TreeMap<>();
        long global = -1;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            Tensor t = e.getValue();
            int slash = key.indexOf('/');
            String kind = slash < 0 ? key : key.substring(0, slash);
            String name = slash < 0 ? null : key.substring(slash + 1);
            int slot = slotNames.indexOf(kind);
            if (key.equals(STEP)) {
                global = count(key, t, problems);
            } else if (name != null && !name.isEmpty() && kind.equals(STEP)) {
                stepOf.put(name, count(key, t, problems));
            } else if (name != null && !name.isEmpty() && slot >= 0) {
                if (!t.dtype().isFloating()) problems.add("'" + key + "' is " + t.dtype() + ", not floating point");
                slotsOf.computeIfAbsent(name, n -> new Tensor[slotNames.size()])[slot] = t;
            } else {
                problems.add("unexpected entry '" + key + "'");
            }
        }
        if (!state.containsKey(STEP)) problems.add("missing '" + STEP + "'");
        TreeSet<String> names = new TreeSet<>(stepOf.keySet());
        names.addAll(slotsOf.keySet());
        for (String name : names) {
            Long s = stepOf.get(name);
            if (s == null) problems.add("missing '" + STEP + "/" + name + "'");
            else if (s >= 0 && global >= 0 && (s < 1 || s > global)) {
                problems.add("'" + STEP + "/" + name + "' = " + s + " is outside 1.." + global);
            }
            Tensor[] slots = slotsOf.getOrDefault(name, new Tensor[slotNames.size()]);
            for (int i = 0; i < slots.length; i++) {
                String key = slotNames.get(i) + "/" + name;
                if (slots[i] == null) {
                    problems.add("missing '" + key + "'");
                } else if (slots[0] != null && !Arrays.equals(slots[i].shape(), slots[0].shape())) {
                    problems.add("'" + key + "' has shape " + Arrays.toString(slots[i].shape()) + ", '"
                            + slotNames.get(0) + "/" + name + "' has " + Arrays.toString(slots[0].shape()));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimizer state rejected: " + String.join("; ", problems));
        }
        Map<String, ParameterState> loaded = new TreeMap<>();
        for (String name : names) {
            Tensor[] copies = new Tensor[slotNames.size()];
            Tensor[] slots = slotsOf.getOrDefault(name, copies);
            for (int i = 0; i < copies.length; i++) {
                Tensor host = slots[i].to(DType.F32);
                copies[i] = backend.place(host);
                if (copies[i] != host) host.close();
            }
            loaded.put(name, new ParameterState(stepOf.get(name), copies));
        }
        parameters.clear();
        parameters.putAll(loaded);
        steps = global;
    }

    /** A step count: one element, a non-negative whole number (any numeric dtype); -1 after a recorded problem. */
    private static long count(String key, Tensor t, List<String> problems) {
        if (t.numel() != 1) {
            problems.add("'" + key + "' must hold one number, has shape " + Arrays.toString(t.shape()));
            return -1;
        }
        double v = t.toDoubleArray()[0];
        if (!(v >= 0) || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            problems.add("'" + key + "' = " + v + " is not a step count");
            return -1;
        }
        return (long) v;
    }
}
