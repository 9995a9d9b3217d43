package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.optim.Sgd;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SJTU lecture's worked example (seeds/001, "让我们做一些简单运算"): a 2-2-1 network of sigmoid neurons
 * without biases, inputs x1 = 0.35, x2 = 0.9, target t = 0.5. Weights as the lecture names them: w3, w4 from
 * x1, x2 to the top hidden neuron, w5, w6 from x1, x2 to the bottom one, w1, w2 from the top and bottom
 * neurons to the output. The lecture's update w+ = w + delta * input is gradient descent with learning rate 1
 * on E = (t - o)^2 / 2, whose error terms are delta = -dE/dnet:
 * <pre>
 *   delta_o = (t - o) o (1 - o)                 output neuron
 *   delta_j = delta_o w_j out_j (1 - out_j)      hidden neuron j, w_j its weight to the output (before the update)
 *   dE/dw   = -delta * (the input the weight multiplies),   w+ = w - lr dE/dw
 * </pre>
 * One training step, computed twice: by these formulas in plain doubles, and by the library (Linear layers,
 * sigmoid, mse, backward(), Sgd), side by side with the lecture's printed numbers; then the lecture's slip.
 */
final class BackpropByHandSample {
    static final double X1 = 0.35;
    static final double X2 = 0.9;
    static final double TARGET = 0.5;
    static final double LR = 1.0;
    static final double W1 = 0.3;
    static final double W2 = 0.9;
    static final double W3 = 0.1;
    static final double W4 = 0.8;
    static final double W5 = 0.4;
    static final double W6 = 0.6;

    /** The quantities of the step, in the lecture's order, each with what it is. */
    static final Map<String, String> MEANING = meanings();

    /** The lecture's printed values (rounded as printed there); the ones its slip changed are in {@link #SLIPPED}. */
    static final Map<String, String> LECTURE = Map.ofEntries(
            Map.entry("net_top", "0.755"), Map.entry("out_top", "0.68"),
            Map.entry("net_bottom", "0.68"), Map.entry("out_bottom", "0.6637"),
            Map.entry("net_o", "0.80133"), Map.entry("o", "0.69"), Map.entry("t - o", "-0.19"),
            Map.entry("delta_o", "-0.0406"), Map.entry("w1+", "0.272392"), Map.entry("w2+", "0.87305"),
            Map.entry("delta_top", "-2.406e-3"), Map.entry("delta_bottom", "-7.916e-3"),
            Map.entry("w3+", "0.09916"), Map.entry("w4+", "0.7978"), Map.entry("w5+", "0.3972"),
            Map.entry("w6+", "0.5928"), Map.entry("t - o+", "-0.18205"));

    /** The values that follow from the lecture's slip (hidden error terms from the updated output weights). */
    static final List<String> SLIPPED = List.of("delta_top", "delta_bottom", "dE/dw3", "dE/dw4", "dE/dw5", "dE/dw6",
            "w3+", "w4+", "w5+", "w6+", "o+", "t - o+");

    /** One line of the printed table: a quantity by hand and by autodiff. */
    record Row(String name, double hand, double autodiff) {}

    private BackpropByHandSample() {}

    private static Map<String, String> meanings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("net_top", "x1 w3 + x2 w4");
        m.put("out_top", "sigmoid(net_top)");
        m.put("net_bottom", "x1 w5 + x2 w6");
        m.put("out_bottom", "sigmoid(net_bottom)");
        m.put("net_o", "out_top w1 + out_bottom w2");
        m.put("o", "sigmoid(net_o)");
        m.put("t - o", "the error");
        m.put("E", "(t - o)^2 / 2");
        m.put("delta_o", "(t - o) o (1 - o) = -dE/dnet_o");
        m.put("dE/dw1", "-delta_o out_top");
        m.put("dE/dw2", "-delta_o out_bottom");
        m.put("w1+", "w1 - lr dE/dw1");
        m.put("w2+", "w2 - lr dE/dw2");
        m.put("delta_top", "delta_o w1 out_top (1 - out_top)");
        m.put("delta_bottom", "delta_o w2 out_bottom (1 - out_bottom)");
        m.put("dE/dw3", "-delta_top x1");
        m.put("dE/dw4", "-delta_top x2");
        m.put("dE/dw5", "-delta_bottom x1");
        m.put("dE/dw6", "-delta_bottom x2");
        m.put("w3+", "w3 - lr dE/dw3");
        m.put("w4+", "w4 - lr dE/dw4");
        m.put("w5+", "w5 - lr dE/dw5");
        m.put("w6+", "w6 - lr dE/dw6");
        m.put("o+", "the output with the new weights");
        m.put("t - o+", "the new error");
        return java.util.Collections.unmodifiableMap(m);
    }

    static void run() {
        List<Row> rows = step();
        System.out.println("One step of backprop on the SJTU lecture's 2-2-1 sigmoid network: x = (0.35, 0.9), target 0.5,");
        System.out.println("learning rate 1, no biases. 'by hand' is the lecture's formulas in plain doubles; 'autodiff' is Linear");
        System.out.println("layers, sigmoid and mse with backward() (delta = -dE/dnet from retainGrad) and Sgd.step(). The two agree");
        System.out.println("to the last digits. The lecture rounds out_top and o to two digits (0.68, 0.69) and goes on with them,");
        System.out.println("so its later numbers differ from exact ones in the third or fourth digit.");
        System.out.println();
        System.out.printf("%-14s %-40s %17s %17s %8s  %s%n", "", "", "by hand", "autodiff", "|diff|", "lecture");
        String[] sections = {"net_top", "(i) forward", "delta_o", "(ii) output layer", "delta_top", "    hidden layer",
            "o+", "(iii) forward again"};
        for (Row r : rows) {
            for (int s = 0; s < sections.length; s += 2) {
                if (r.name().equals(sections[s])) {
                    System.out.println(sections[s + 1]);
                }
            }
            String lecture = LECTURE.getOrDefault(r.name(), "");
            if (SLIPPED.contains(r.name()) && !lecture.isEmpty()) {
                lecture += "  (slip, see below)";
            }
            System.out.printf("  %-12s %-40s %17.12f %17.12f %8.1e  %s%n", r.name(), MEANING.get(r.name()), r.hand(),
                    r.autodiff(), Math.abs(r.hand() - r.autodiff()), lecture);
        }
        double maxDiff = rows.stream().mapToDouble(r -> Math.abs(r.hand() - r.autodiff())).max().orElseThrow();
        System.out.printf("largest |hand - autodiff|: %.1e%n", maxDiff);

        Map<String, Double> correct = byHand(false);
        Map<String, Double> slip = byHand(true);
        System.out.println();
        System.out.println("Where the lecture slipped: it computed the hidden error terms with the output weights it had just");
        System.out.println("updated (delta_top = delta_o w1+ out_top (1 - out_top), w1+ = 0.272392). Backprop differentiates");
        System.out.println("the forward pass that produced the error, whose weights were w1 = 0.3 and w2 = 0.9. Autodiff cannot");
        System.out.println("make this slip: backward() uses the values the forward pass saved, before Sgd.step() changes them.");
        System.out.printf("%-14s %20s %22s %22s%n", "", "lecture (printed)", "lecture's way, exact", "correct (old weights)");
        for (String name : List.of("delta_top", "delta_bottom", "w3+", "w4+", "w5+", "w6+", "t - o+")) {
            System.out.printf("  %-12s %20s %22.8f %22.8f%n", name, LECTURE.get(name), slip.get(name), correct.get(name));
        }
        System.out.printf("So w3+ is %.5f, not the lecture's 0.09916, and the new error is %.5f, not -0.18205 (which the%n",
                correct.get("w3+"), correct.get("t - o+"));
        System.out.printf("lecture's way gives as %.5f in exact arithmetic; the rest is its weights rounded to four digits).%n",
                slip.get("t - o+"));
        System.out.printf("Either way the error falls, from %.5f to %.5f.%n", correct.get("t - o"), correct.get("t - o+"));
    }

    /** Every quantity of the step by hand and by autodiff, in the lecture's order. */
    static List<Row> step() {
        Map<String, Double> hand = byHand(false);
        Map<String, Double> auto = byAutodiff();
        return MEANING.keySet().stream().map(n -> new Row(n, hand.get(n), auto.get(n))).toList();
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * The step by the lecture's formulas. With {@code lectureSlip} the hidden error terms use the updated output
     * weights w1+, w2+, as the lecture did; without, the weights of the forward pass, as backprop does.
     */
    static Map<String, Double> byHand(boolean lectureSlip) {
        Map<String, Double> v = new LinkedHashMap<>();
        double netTop = X1 * W3 + X2 * W4;
        double outTop = sigmoid(netTop);
        double netBottom = X1 * W5 + X2 * W6;
        double outBottom = sigmoid(netBottom);
        double netO = outTop * W1 + outBottom * W2;
        double o = sigmoid(netO);
        double deltaO = (TARGET - o) * o * (1 - o);
        double w1New = W1 + LR * deltaO * outTop;
        double w2New = W2 + LR * deltaO * outBottom;
        double toTop = lectureSlip ? w1New : W1;
        double toBottom = lectureSlip ? w2New : W2;
        double deltaTop = deltaO * toTop * outTop * (1 - outTop);
        double deltaBottom = deltaO * toBottom * outBottom * (1 - outBottom);
        double w3New = W3 + LR * deltaTop * X1;
        double w4New = W4 + LR * deltaTop * X2;
        double w5New = W5 + LR * deltaBottom * X1;
        double w6New = W6 + LR * deltaBottom * X2;
        double oNew = sigmoid(sigmoid(X1 * w3New + X2 * w4New) * w1New + sigmoid(X1 * w5New + X2 * w6New) * w2New);
        v.put("net_top", netTop);
        v.put("out_top", outTop);
        v.put("net_bottom", netBottom);
        v.put("out_bottom", outBottom);
        v.put("net_o", netO);
        v.put("o", o);
        v.put("t - o", TARGET - o);
        v.put("E", (TARGET - o) * (TARGET - o) / 2);
        v.put("delta_o", deltaO);
        v.put("dE/dw1", -deltaO * outTop);
        v.put("dE/dw2", -deltaO * outBottom);
        v.put("w1+", w1New);
        v.put("w2+", w2New);
        v.put("delta_top", deltaTop);
        v.put("delta_bottom", deltaBottom);
        v.put("dE/dw3", -deltaTop * X1);
        v.put("dE/dw4", -deltaTop * X2);
        v.put("dE/dw5", -deltaBottom * X1);
        v.put("dE/dw6", -deltaBottom * X2);
        v.put("w3+", w3New);
        v.put("w4+", w4New);
        v.put("w5+", w5New);
        v.put("w6+", w6New);
        v.put("o+", oNew);
        v.put("t - o+", TARGET - oNew);
        return v;
    }

    /** The same step by the library: forward, backward(), Sgd with learning rate 1, forward again. */
    static Map<String, Double> byAutodiff() {
        Tensor x = Tensor.fromArray(new double[] {X1, X2}, 1, 2);
        // Linear stores W as (in, out): row i holds input i's weights to (top, bottom)
        Linear hidden = new Linear(Tensor.fromArray(new double[] {W3, W5, W4, W6}, 2, 2), null);
        Linear output = new Linear(Tensor.fromArray(new double[] {W1, W2}, 2, 1), null);
        Tensor target = Tensor.full(TARGET, 1, 1);

        Tensor netH = hidden.forward(x).retainGrad();
        Tensor h = Activations.sigmoid(netH);
        Tensor netO = output.forward(h).retainGrad();
        Tensor o = Activations.sigmoid(netO);
        Tensor loss = Losses.mse(o, target).mul(0.5); // one output: mse = (o - t)^2
        loss.backward();
        double[] gHidden = hidden.weight().grad().toArray();
        double[] gOutput = output.weight().grad().toArray();
        double[] deltaH = netH.grad().neg().toArray(); // the lecture's delta is -dE/dnet
        double deltaO = netO.grad().neg().item();

        new Sgd(List.of(hidden.weight(), output.weight()), LR).step();
        double[] wh = hidden.weight().toArray();
        double[] wo = output.weight().toArray();
        double oNew;
        try (GradScope s = Autodiff.noGrad()) {
            oNew = Activations.sigmoid(output.forward(Activations.sigmoid(hidden.forward(x)))).item();
        }

        double[] net = netH.toArray();
        double[] out = h.toArray();
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("net_top", net[0]);
        v.put("out_top", out[0]);
        v.put("net_bottom", net[1]);
        v.put("out_bottom", out[1]);
        v.put("net_o", netO.item());
        v.put("o", o.item());
        v.put("t - o", TARGET - o.item());
        v.put("E", loss.item());
        v.put("delta_o", deltaO);
        v.put("dE/dw1", gOutput[0]);
        v.put("dE/dw2", gOutput[1]);
        v.put("w1+", wo[0]);
        v.put("w2+", wo[1]);
        v.put("delta_top", deltaH[0]);
        v.put("delta_bottom", deltaH[1]);
        v.put("dE/dw3", gHidden[0]); // (x1, top)
        v.put("dE/dw4", gHidden[2]); // (x2, top)
        v.put("dE/dw5", gHidden[1]); // (x1, bottom)
        v.put("dE/dw6", gHidden[3]); // (x2, bottom)
        v.put("w3+", wh[0]);
        v.put("w4+", wh[2]);
        v.put("w5+", wh[1]);
        v.put("w6+", wh[3]);
        v.put("o+", oNew);
        v.put("t - o+", TARGET - oNew);
        return v;
    }
}
