/*
 * Define-by-run reverse-mode differentiation: the tape of one step's recorded ops.
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

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The define-by-run record of one training step's differentiable ops: {@code watch} marks parameters and inputs,
 * {@code GradBackend} records ops with their backward rules, and {@code backward} runs them in reverse once and returns
 * float32 {@link Gradients} keyed by storage; {@code recordedBytes} is the memory in bytes of the outputs it holds.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its node list and storage sets
 * are unsynchronized collections.
 */
public final class Tape {
    /** The seed gradient d loss / d loss, shared and read-only (a device copies it in once). */
    private static final Tensor ONE = Tensor.scalar(1f).frozen();
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
    private final Set<Storage> watched = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Storage> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private Backend backend;
    private final Tape parent;                 // a recomputation's tape sees its parent's watched tensors (GradBackend.checkpoint)

    public Tape() {
        this(null);
    }

    private Tape(Tape parent) {
        this.parent = parent;
    }

    /**
     * A tape on which gradients also flow to every tensor this tape watches (and its own parent's): the tape of a
     * recomputed segment (GradBackend.checkpoint), whose backward then returns the gradients of those tensors.
     */
    Tape child() {
        return new Tape(this);
    }

    /** Watched here or by an ancestor. */
    private boolean watchedInChain(Storage s) {
        for (Tape t = this; t != null; t = t.parent) if (t.watched.contains(s)) return true;
        return false;
    }
    private boolean finished;

    /** Marks {@code t} (a parameter or an input) as something gradients are wanted for; returns t. */
    public Tensor watch(Tensor t) {
        checkOpen();
        tracked.add(t.storage());
        watched.add(t.storage());
        return t;
    }

    /** True when gradients flow to {@code t} (watched, or computed from watched tensors by recorded ops). */
    public boolean requiresGrad(Tensor t) {
        return t != null && (tracked.contains(t.storage()) || parent != null && parent.watchedInChain(t.storage()));
    }

    /** True when any of the tensors requires grad. */
    boolean anyRequiresGrad(Tensor... ts) {
        for (Tensor t : ts) if (requiresGrad(t)) return true;
        return false;
    }

    /**
     * Bytes of the recorded ops' outputs this tape holds for backward (each storage once): what gradient
     * checkpointing reduces. Values that rules capture without recording them are not counted.
     */
    public long recordedBytes() {
        Set<Storage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Node n : nodes) {
            if (n != null && seen.add(n.output().storage())) bytes += (long) n.output().storage().length() * n.output().dtype().byteSize();
        }
        return bytes;
    }

    /** Records an op whose output is {@code output} (a fresh storage) with its backward rule. */
    void record(Tensor output, Rule rule) {
        checkOpen();
        tracked.add(output.storage());
        nodes.add(new Node(output, rule));
    }

    /**
     * Keeps {@code t}'s values and gradient after backward (like PyTorch's retain_grad): by default backward frees
     * every recorded op's output and gradient as soon as no remaining rule needs them (see backward). Watched
     * tensors and the loss are always kept. Returns t.
     */
    public Tensor keep(Tensor t) {
        kept.add(t.storage());
        return t;
    }

    /** The backend that accumulates gradients (GradBackend sets its inner backend); null: element loops in Java. */
    void accumulateWith(Backend backend) {
        this.backend = backend;
    }

    /**
     * Runs every recorded rule in reverse order from d(loss)/d(loss) = 1 and returns the gradients of the watched
     * and kept tensors. The tape is finished afterwards.
     *
     * Memory: when rule i has run, every consumer of op i's output (all recorded after op i) has already handed
     * its gradient on, so op i's output and its gradient buffer are freed then (unless watched or kept): peak
     * memory is the forward's activations plus the gradients in flight, not the forward plus every gradient.
     * Each rule's temporaries are freed when it returns (it runs in its own TensorScope). A gradient that is the
     * first to reach its storage and covers it densely becomes that storage's buffer without a copy; later
     * contributions are added out of place by the backend (buffers are never written in place, so a rule may
     * keep using a tensor it has handed on). A rule that passes its gradient on unchanged (add, a residual
     * connection) hands the buffer itself to the first input that takes it whole, when the output's gradient is
     * released after the rule; a second taker gets a copy. Only a gradient for part of a storage (a narrowed or
     * expanded view) is added element by element into a zeroed buffer.
     * @param loss a one-element tensor produced by recorded ops
     */
    public Gradients backward(Tensor loss) {
        if (loss.numel() != 1) throw new IllegalArgumentException("backward needs a one-element loss, got " + loss);
        return backward(loss, ONE.reshape(loss.shape()));
    }

    /**
     * Backward from any recorded output given d(loss)/d(output) (a vector-Jacobian product); {@code gradOutput}
     * is copied, never adopted.
     */
    public Gradients backward(Tensor output, Tensor gradOutput) {
        checkOpen();
        if (!java.util.Arrays.equals(output.shape(), gradOutput.shape())) {
            throw new IllegalArgumentException("gradient " + java.util.Arrays.toString(gradOutput.shape()) + " for output "
                    + java.util.Arrays.toString(output.shape()));
        }
        if (!requiresGrad(output)) throw new IllegalArgumentException("the loss does not depend on any watched tensor");
        kept.add(output.storage());
        Accumulator acc = new Accumulator();
        try {
            Tensor seed;
            if (backend != null) {
                seed = backend.scale(gradOutput, 1f);                         // an exact copy in the backend's memory
            } else {
                seed = Tensor.empty(DType.F32, output.shape());
                seed.copyFrom(gradOutput);
            }
            acc.accumulate(output, seed);
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node node = nodes.get(i);
                nodes.set(i, null);                                            // the rule's captures become unreachable
                Storage produced = node.output().storage();
                Tensor buffer = acc.buffers.get(produced);
                boolean release = !watchedInChain(produced) && !kept.contains(produced);
                if (buffer != null) {                                          // else nothing downstream needed it
                    Tensor out = node.output();
                    acc.run(node.rule(), produced, Tensor.view(buffer.storage(), out.shape(), out.strides(), out.offset()), release);
                }
                if (release) {
                    acc.release(produced);
                    produced.close();
                }
            }
        } finally {
            finished = true;
            nodes.clear();
        }
        acc.buffers.keySet().removeIf(st -> !watchedInChain(st) && !kept.contains(st));
        return new Gradients(acc.buffers);
    }

    /**
     * The permutation that walks {@code t} in its storage's element order, when t covers its whole storage
     * densely (a contiguous tensor, or a transposed weight); null when t is part of its storage or overlaps.
     */
    static int[] storageOrder(Tensor t) {
        if (t.offset() != 0 || t.numel() != t.storage().length()) return null;
        int rank = t.rank();
        Integer[] dims = new Integer[rank];
        for (int i = 0; i < rank; i++) dims[i] = i;
        int[] st = t.strides();
        java.util.Arrays.sort(dims, (x, y) -> Integer.compare(st[y], st[x]));              // largest stride first
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) perm[i] = dims[i];
        return t.permute(perm).isContiguous() ? perm : null;
    }

    /** The gradient buffers of one backward pass and the sink that fills them. */
    private final class Accumulator implements Sink {
        final Map<Storage, Tensor> buffers = new IdentityHashMap<>();          // storage -> F32 [storage length]
        private final Set<Storage> bufferStorages = Collections.newSetFromMap(new IdentityHashMap<>());
        private final List<Tensor> replaced = new ArrayList<>();               // superseded during the current rule
        private final List<Storage> fresh = new ArrayList<>();                 // became a buffer during it
        private final Set<Storage> ownedZeroed = Collections.newSetFromMap(new IdentityHashMap<>());   // written in place
        private Storage lendable;                                              // the current rule's gradOutput buffer
        private boolean lent;

        /**
         * Runs one rule in its own scope; buffers it produced outlive the scope, superseded ones are freed. When
         * the output's gradient is released after the rule ({@code released}), its buffer may be handed to the
         * first input that takes it whole (an add or a residual connection passes its gradient on unchanged),
         * instead of being copied.
         */
        void run(Rule rule, Storage produced, Tensor gradOutput, boolean released) {
            lendable = released ? gradOutput.storage() : null;
            lent = false;
            try (TensorScope scope = TensorScope.open()) {
                rule.backward(gradOutput, this);
                if (lent) buffers.remove(produced);                            // its buffer now belongs to an input
                for (Storage s : fresh) {
                    Tensor b = buffers.get(s);
                    if (b != null) scope.keep(b);
                }
            } finally {
                for (Tensor t : replaced) {
                    if (!bufferStorages.contains(t.storage())) t.storage().close();
                }
                replaced.clear();
                fresh.clear();
                lendable = null;
            }
        }

        /** Frees the gradient buffer of {@code s}, which no rule will add to again. */
        void release(Storage s) {
            Tensor b = buffers.remove(s);
            if (b != null) {
                bufferStorages.remove(b.storage());
                b.storage().close();
            }
        }

        @Override
        public void accumulate(Tensor input, Tensor grad) {
            if (!requiresGrad(input)) return;
            if (!java.util.Arrays.equals(input.shape(), grad.shape())) {
                throw new IllegalStateException("gradient " + java.util.Arrays.toString(grad.shape()) + " for input "
                        + java.util.Arrays.toString(input.shape()));
            }
            Storage s = input.storage();
            Tensor buffer = buffers.get(s);
            int[] order = storageOrder(input);                      // null: input is part of its storage
            if (order != null && backend != null && grad.dtype() == DType.F32) {
                Tensor g = grad.permute(order);                                // in the storage's element order
                if (buffer == null && !lent && lendable != null && g.storage() == lendable && dense(g)) {
                    lent = true;
                    put(s, g.reshape(s.length()));
                    return;
                }
                if (buffer == null && adoptable(g)) {
                    put(s, g.reshape(s.length()));
                    return;
                }
                if (buffer != null) {
                    Tensor current = Tensor.view(buffer.storage(), input.shape(), input.strides(), 0).permute(order);
                    replaced.add(buffer);
                    put(s, backend.add(current, g).reshape(s.length()));
                    return;
                }
                Tensor c = backend.contiguous(g);
                put(s, (c.storage() == g.storage() ? copy(g, s) : c).reshape(s.length()));   // still shared: copy
                return;
            }
            if (buffer == null || !ownedZeroed.contains(buffer.storage())) {        // in place only into our zeroed copy
                Tensor z = backend.zeros(DType.F32, s.length());
                if (buffer != null) {
                    backend.copyInto(z, buffer);
                    replaced.add(buffer);
                }
                ownedZeroed.add(z.storage());
                put(s, z);
                buffer = z;
            }
            Tensor target = Tensor.view(buffer.storage(), input.shape(), input.strides(), input.offset());
            if (buffer.storage().isDeviceMemory()) {           // on a device: the sum by the backend, written back in place
                Tensor sum = backend.add(target, grad);
                backend.copyInto(target, sum);
                sum.close();
            } else {
                GradAccumulation.add(target, grad);
            }
        }

        /** A dense copy of g (contiguous, in storage order): one bulk copy, on the host or by the device's backend. */
        private Tensor copy(Tensor g, Storage s) {
            if (g.storage().isDeviceMemory()) {
                return backend.scale(Tensor.view(g.storage(), new int[]{s.length()}, new int[]{1}, g.offset()), 1f);  // x·1 = x
            }
            Tensor c = Tensor.empty(DType.F32, s.length());
            c.storage().floats().put(0, g.storage().floats(), g.offset(), s.length());
            return c;
        }

        private boolean dense(Tensor g) {
            return g.isContiguous() && g.offset() == 0 && g.storage().length() == g.numel();
        }

        private void put(Storage s, Tensor buffer) {
            Tensor old = buffers.put(s, buffer);
            if (old != null) bufferStorages.remove(old.storage());
            bufferStorages.add(buffer.storage());
            fresh.add(s);
        }

        /**
         * A gradient may become a buffer as it is when it is a dense row-major block of its own storage that no
         * one else uses as a buffer or activation (a rule handing on its gradOutput, or the same tensor to two
         * inputs, gets a copy).
         */
        private boolean adoptable(Tensor g) {
            Storage gs = g.storage();
            return dense(g) && gs.isOwned() && !gs.isReadOnly() && !bufferStorages.contains(gs) && !tracked.contains(gs);
        }
    }

    private void checkOpen() {
        if (finished) throw new IllegalStateException("this tape has already run backward; start a new one per step");
    }
}
