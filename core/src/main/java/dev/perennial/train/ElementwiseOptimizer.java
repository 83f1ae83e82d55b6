/*
 * The shared part of optimisers whose update of each element depends only on that element's parameter value,
 * gradient and state slots (AdamW, SGD): validation, per-parameter state, the learning rates (one for all parameters,
 * and optionally parameter groups with their own, PyTorch's param groups) and the parallel loop. Subclasses supply
 * the per-element formula over a range of elements.
 *
 * step() validates every gradient/parameter pair before touching any of them, so a bad gradient map never
 * leaves the model half updated. The state slots are allocated by the optimizer's backend (optBackend; the CPU
 * by default), next to the parameters: on a device, parameters, gradients and state never leave it
 * (docs/architecture.md, "Device residency"). Results do not depend on the thread count.
 */
package dev.perennial.train;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

abstract class ElementwiseOptimizer implements Optimizer {
    private final OptimizerState state;
    private final Backend backend;
    private double learningRate;
    private final Map<String, Double> groupRates = new HashMap<>();     // parameters in a group of their own: name -> lr

    ElementwiseOptimizer(double learningRate, List<String> slotNames, Backend backend) {
        setLearningRate(learningRate);
        this.backend = backend == null ? new CpuBackend() : backend;
        this.state = new OptimizerState(slotNames, this.backend);
    }

    /** The backend that holds the state and runs the update. */
    final Backend backend() { return backend; }

    /**
     * Updates one parameter in place (F32, contiguous, writable; grad and slots of the same shape).
     * @param slots this parameter's state slots, in the order given to the constructor
     * @param step  this parameter's update count, 1 for its first update
     * @param lr    this parameter's learning rate (its group's, else the optimizer's)
     */
    abstract void update(Tensor param, Tensor grad, Tensor[] slots, long step, double lr);

    @Override
    public final void step(Map<String, Tensor> params, Map<String, Tensor> grads) {
        for (Map.Entry<String, Tensor> e : grads.entrySet()) {
            String name = e.getKey();
            Tensor param = params.get(name);
            if (param == null) throw new IllegalArgumentException("gradient '" + name + "' has no parameter");
            Tensor grad = e.getValue();
            if (!Arrays.equals(grad.shape(), param.shape())) {
                throw new IllegalArgumentException("gradient of '" + name + "' has shape " + Arrays.toString(grad.shape())
                        + ", the parameter has " + Arrays.toString(param.shape()));
            }
            FloatTensors.checkWritable("parameter '" + name + "'", param);
            FloatTensors.check("gradient of '" + name + "'", grad);
            state.checkShape(name, param.shape());
        }
        state.countStep();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String name = e.getKey();
            Tensor grad = grads.get(name);
            if (grad == null) continue;
            Tensor param = e.getValue();
            OptimizerState.ParameterState s = state.of(name, param.shape());
            long step = s.advance();
            Tensor[] slots = new Tensor[state.slotCount()];
            for (int i = 0; i < slots.length; i++) slots[i] = s.slot(i);
            update(param, grad, slots, step, groupRates.getOrDefault(name, learningRate));
        }
    }

    @Override
    public final int stepCount() { return Math.toIntExact(state.steps()); }

    @Override
    public final void setLearningRate(double learningRate) {
        this.learningRate = checked(learningRate);
    }

    private static double checked(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
        return learningRate;
    }

    @Override
    public final double learningRate() { return learningRate; }

    @Override
    public final void setLearningRate(Collection<String> parameters, double learningRate) {
        checked(learningRate);
        for (String p : parameters) groupRates.put(p, learningRate);
    }

    @Override
    public final double learningRate(String parameter) { return groupRates.getOrDefault(parameter, learningRate); }

    @Override
    public final Map<String, Tensor> state() { return state.export(); }

    @Override
    public final void loadState(Map<String, Tensor> saved) { state.load(saved); }
}
