/*
 * Define-by-run reverse-mode differentiation (autograd issue, item 1): the tape of one step's recorded ops.
 *
 * Gradients are keyed by Storage, not by Tensor object: every recorded op returns a fresh storage, and any view of
 * it (reshape, transpose, narrow, select, expand, split) addresses the gradient buffer with the same geometry.
 * So model code may take views freely between ops and gradients still land in the right elements; a stride-0
 * (expanded) view sums into its single element. Only copies must go through the backend (Backend.contiguous).
 *
 * A storage requires grad when it was watched (a parameter, or an input such as embeddings or pixels) or was
 * produced by a recorded op; ops on anything else are not recorded, so frozen branches cost no backward work and
 * backpropagation stops below the lowest watched tensor. No global state: each training step owns a tape.
 */
package dev.perennial.autograd;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class Tape {
    /** Receives the gradients a backward rule produces for the op's inputs. */
    public interface Sink {
        /** Adds {@code grad} (shaped like {@code input}) to the gradient of {@code input}; ignored if it needs none. */
        void accumulate(Tensor input, Tensor grad);
    }

    /** The backward rule of one recorded op: given d(loss)/d(output), hand each input its gradient. */
    @FunctionalInterface
    public interface Rule {
        void backward(Tensor gradOutput, Sink sink);
    }

    private record Node(Tensor output, Rule rule) {}

    private final List<Node> nodes = new ArrayList<>();
    private final Set<Storage> tracked = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean finished;

    /** Marks {@code t} (a parameter or an input) as something gradients are wanted for; returns t. */
    public Tensor watch(Tensor t) {
        checkOpen();
        tracked.add(t.storage());
        return t;
    }

    /** True when gradients flow to {@code t} (watched, or computed from watched tensors by recorded ops). */
    public boolean requiresGrad(Tensor t) {
        return t != null && tracked.contains(t.storage());
    }

    /** True when any of the tensors requires grad. */
    boolean anyRequiresGrad(Tensor... ts) {
        for (Tensor t : ts) if (requiresGrad(t)) return true;
        return false;
    }

    /** Records an op whose output is {@code output} (a fresh storage) with its backward rule. */
    void record(Tensor output, Rule rule) {
        checkOpen();
        tracked.add(output.storage());
        nodes.add(new Node(output, rule));
    }

    /**
     * Runs every recorded rule in reverse order from d(loss)/d(loss) = 1 and returns the gradients. The tape is
     * finished afterwards (its recorded intermediates are released).
     * @param loss a one-element tensor produced by recorded ops
     */
    public Gradients backward(Tensor loss) {
        checkOpen();
        if (loss.numel() != 1) throw new IllegalArgumentException("backward needs a one-element loss, got " + loss);
        if (!requiresGrad(loss)) throw new IllegalArgumentException("the loss does not depend on any watched tensor");
        Map<Storage, Tensor> buffers = new IdentityHashMap<>();
        Sink sink = (input, grad) -> {
            if (!requiresGrad(input)) return;
            if (!java.util.Arrays.equals(input.shape(), grad.shape())) {
                throw new IllegalStateException("gradient " + java.util.Arrays.toString(grad.shape()) + " for input "
                        + java.util.Arrays.toString(input.shape()));
            }
            Tensor buffer = buffers.computeIfAbsent(input.storage(), s -> Tensor.zeros(DType.F32, s.length()));
            GradAccumulation.add(Tensor.view(buffer.storage(), input.shape(), input.strides(), input.offset()), grad);
        };
        sink.accumulate(loss, Tensor.of(new float[]{1f}).reshape(loss.shape()));
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            Tensor buffer = buffers.get(node.output().storage());
            if (buffer == null) continue;                                  // nothing downstream needed this output
            Tensor out = node.output();
            node.rule().backward(Tensor.view(buffer.storage(), out.shape(), out.strides(), out.offset()), sink);
        }
        finished = true;
        nodes.clear();
        return new Gradients(buffers);
    }

    private void checkOpen() {
        if (finished) throw new IllegalStateException("this tape has already run backward; start a new one per step");
    }
}
