package dev.autodiff;

import dev.autodiff.kernel.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A snapshot of the graph behind an output, for seeing every step: its op, inputs and value, and after
 * {@code backward()} its gradient and each local derivative. Take the snapshot before calling backward:
 * it keeps what the listing needs, and asks backward to retain the gradients of the intermediate steps.
 *
 * <pre>{@code
 * Graph g = Graph.of(f).name(x, "x").name(w, "w").name(b, "b");
 * f.backward();
 * System.out.println(g);        // the listing
 * String dot = g.toDot();       // for Graphviz: dot -Tpng
 * }</pre>
 */
public final class Graph {
    /** One recorded op: {@code output = op(inputs)}. */
    public static final class Step {
        private final Graph graph;
        private final Tensor output;
        private final Primitive op;
        private final Tensor[] inputs;

        private Step(Graph graph, Tensor output) {
            this.graph = graph;
            this.output = output;
            this.op = output.op;
            this.inputs = output.inputs.clone();
        }

        public String name() {
            return graph.nameOf(output);
        }

        public String op() {
            return op.name;
        }

        public Tensor value() {
            return output.detach();
        }

        public List<Tensor> inputs() {
            return List.of(inputs);
        }

        /** The gradient of the backpropagated output with respect to this step, or null before backward. */
        public Tensor grad() {
            return output.grad;
        }

        /**
         * The local derivative of this step with respect to input {@code i}: d output / d input for
         * one-element tensors, and in general J^T 1 (the input gradient this op passes back for an output
         * gradient of ones), which for elementwise ops is the elementwise derivative.
         */
        public Tensor localDerivative(int i) {
            try (GradScope ignored = Autodiff.noGrad()) {
                Tensor ones = Tensor.ones(output.shape);
                return op.vjp(i, ones, inputs, output.detach());
            }
        }

        /** The step as an expression in the names of its inputs, such as {@code h1 + b} or {@code exp(h3)}. */
        public String expression() {
            String[] a = new String[inputs.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = graph.nameOf(inputs[i]);
            }
            switch (op.kind) {
                case ADD: return a[0] + " + " + a[1];
                case SUB: return a[0] + " - " + a[1];
                case MUL: return a[0] + " * " + a[1];
                case DIV: return a[0] + " / " + a[1];
                case POW: return a[0] + " ^ " + a[1];
                case NEG: return "-" + a[0];
                case RECIPROCAL: return "1 / " + a[0];
                default: return op.name + "(" + String.join(", ", a) + ")";
            }
        }
    }

    private final List<Step> steps = new ArrayList<>();
    private final List<Tensor> leaves = new ArrayList<>();
    private final Map<Tensor, String> names = new IdentityHashMap<>();
    /** Unnamed one-element constants, shown by their value. */
    private final Set<Tensor> literals = Collections.newSetFromMap(new IdentityHashMap<>());

    private Graph(Tensor output) {
        for (Tensor t : Backprop.postOrder("Graph.of", output)) { // inputs before uses
            for (Tensor in : t.inputs) {
                if (in.op == null && !names.containsKey(in) && !leaves.contains(in)) {
                    leaves.add(in);
                }
            }
            t.retainsGrad = true;
            steps.add(new Step(this, t));
        }
        int p = 0;
        int c = 0;
        for (Tensor leaf : leaves) {
            if (!leaf.requiresGrad && leaf.size() == 1 && leaf.batch == null) {
                literals.add(leaf);
                names.put(leaf, TensorFormat.number(leaf.values()[0]));
            } else {
                names.put(leaf, leaf.requiresGrad ? "p" + p++ : "c" + c++);
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            names.put(steps.get(i).output, "h" + (i + 1));
        }
        if (steps.isEmpty()) {
            leaves.add(output);
            names.put(output, output.requiresGrad ? "p0" : "c0");
        }
    }

    /** Snapshots the recorded graph behind {@code output}, in an order where inputs come before their uses. */
    public static Graph of(Tensor output) {
        return new Graph(Tensor.nonNull(output, "Graph.of", "the output"));
    }

    /** Gives a tensor of this graph a display name, such as "w". */
    public Graph name(Tensor t, String name) {
        Tensor.nonNull(t, "Graph.name", "the tensor");
        Tensor.nonNull(name, "Graph.name", "the name");
        if (!names.containsKey(t)) {
            throw new IllegalArgumentException("Graph.name: the tensor " + Shapes.str(t.shape) + " is not part of this graph");
        }
        names.put(t, name);
        literals.remove(t);
        return this;
    }

    public List<Step> steps() {
        return Collections.unmodifiableList(steps);
    }

    /** The leaves (inputs and constants) in order of first use. */
    public List<Tensor> leaves() {
        return Collections.unmodifiableList(leaves);
    }

    String nameOf(Tensor t) {
        String n = names.get(t);
        return n != null ? n : "?";
    }

    /** The listing: leaves, then one line per step with value, gradient and local derivatives. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Tensor leaf : leaves) {
            sb.append(String.format("%-4s %-22s value %-12s grad %s%n", nameOf(leaf),
                    leaf.requiresGrad ? "(input, needs grad)" : "(constant)", brief(leaf), leaf.grad == null ? "-" : brief(leaf.grad)));
        }
        for (Step s : steps) {
            StringBuilder local = new StringBuilder();
            for (int i = 0; i < s.inputs.length; i++) {
                if (s.op.kind == Primitive.Kind.WHERE && i == 0 || literals.contains(s.inputs[i])) {
                    continue; // no derivative with respect to a mask or a literal such as the 1 in x + 1
                }
                local.append(i == 0 || local.length() == 0 ? "" : ", ").append("d").append(s.name()).append("/d")
                        .append(nameOf(s.inputs[i])).append(" = ").append(brief(s.localDerivative(i)));
            }
            sb.append(String.format("%-4s %-22s value %-12s grad %-12s %s%n", s.name(), "= " + s.expression(), brief(s.output),
                    s.grad() == null ? "-" : brief(s.grad()), local));
        }
        return sb.toString();
    }

    /** Graphviz DOT text: leaves as boxes, steps as ellipses, edges labelled with local derivatives. */
    public String toDot() {
        StringBuilder sb = new StringBuilder("digraph autodiff {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        Map<Tensor, String> ids = new IdentityHashMap<>();
        for (Tensor leaf : leaves) {
            String id = "n" + ids.size();
            ids.put(leaf, id);
            sb.append("  ").append(id).append(" [shape=box, label=\"").append(escape(nameOf(leaf))).append("\\nvalue ")
                    .append(escape(brief(leaf))).append(leaf.grad == null ? "" : "\\ngrad " + escape(brief(leaf.grad)))
                    .append("\"];\n");
        }
        for (Step s : steps) {
            String id = "n" + ids.size();
            ids.put(s.output, id);
            sb.append("  ").append(id).append(" [shape=ellipse, label=\"").append(escape(s.name() + " = " + s.expression()))
                    .append("\\nvalue ").append(escape(brief(s.output)))
                    .append(s.grad() == null ? "" : "\\ngrad " + escape(brief(s.grad()))).append("\"];\n");
            for (int i = 0; i < s.inputs.length; i++) {
                sb.append("  ").append(ids.get(s.inputs[i])).append(" -> ").append(id);
                if (s.inputs[i].size() == 1 && s.output.size() == 1 && s.op.kind != Primitive.Kind.WHERE) {
                    sb.append(" [label=\"").append(escape(brief(s.localDerivative(i)))).append("\"]");
                }
                sb.append(";\n");
            }
        }
        return sb.append("}\n").toString();
    }

    /** A number for one-element tensors, otherwise the shape and the first values. */
    private static String brief(Tensor t) {
        if (t.batch != null) {
            return Shapes.str(t.shape) + "{batched}";
        }
        double[] v = t.values();
        if (t.size() == 1) {
            return TensorFormat.number(v[0]);
        }
        StringBuilder sb = new StringBuilder(Shapes.str(t.shape)).append('{');
        for (int i = 0; i < Math.min(4, t.size()); i++) {
            sb.append(i > 0 ? ", " : "").append(TensorFormat.number(v[i]));
        }
        return sb.append(t.size() > 4 ? ", ...}" : "}").toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
