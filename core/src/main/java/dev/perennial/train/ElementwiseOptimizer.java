/*
 * The shared part of optimisers whose update of each element depends only on that element's parameter value,
 * gradient and state slots (AdamW, SGD): validation, per-parameter state, the learning rate and the parallel
 * loop. Subclasses supply the per-element formula over a range of elements.
 *
 * step() validates every gradient/parameter pair before touching any of them, so a bad gradient map never
 * leaves the model half updated. Each tensor's elements are split into ranges with Parallel (at most one range
 * per core, and only for tensors large enough to pay for it); an element's update is the same whichever range
 * it falls in, so results do not depend on the thread count.
 */
package dev.perennial.train;

import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

abstract class ElementwiseOptimizer implements Optimizer {
    /** Rough cost of one element's update in element-operations, for Parallel's split decision. */
    private static final long COST_PER_ELEMENT = 16;

    private final OptimizerState state;
    private double learningRate;

    ElementwiseOptimizer(double learningRate, List<String> slotNames) {
        setLearningRate(learningRate);
        this.state = new OptimizerState(slotNames);
    }

    /**
     * Updates elements [start, end) of one parameter in place.
     * @param slots this parameter's state slots, in the order given to the constructor
     * @param step  this parameter's update count, 1 for its first update
     */
    abstract void update(FloatBuffer param, FloatBuffer grad, FloatBuffer[] slots, int start, int end, long step);

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
            FloatTensors.write("parameter '" + name + "'", param);
            FloatTensors.read("gradient of '" + name + "'", grad);
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
            FloatBuffer p = FloatTensors.write(name, param), g = FloatTensors.read(name, grad);
            FloatBuffer[] slots = new FloatBuffer[state.slotCount()];
            for (int i = 0; i < slots.length; i++) slots[i] = FloatTensors.write(name, s.slot(i));
            Parallel.forRows((int) param.numel(), COST_PER_ELEMENT, (start, end) -> update(p, g, slots, start, end, step));
        }
    }

    @Override
    public final int stepCount() { return Math.toIntExact(state.steps()); }

    @Override
    public final void setLearningRate(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    @Override
    public final double learningRate() { return learningRate; }

    @Override
    public final Map<String, Tensor> state() { return state.export(); }

    @Override
    public final void loadState(Map<String, Tensor> saved) { state.load(saved); }
}
