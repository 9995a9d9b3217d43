package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The SJTU lecture's 2-2-1 step, checked against the test's own computation: the network as matrices (hidden
 * weights by row = neuron, column = input), a generic forward and backward in plain doubles, and central
 * finite differences of the loss for every gradient; and against the lecture's printed numbers where they are right.
 */
class BackpropByHandSampleTest {
    private static final double[] X = {0.35, 0.9};
    private static final double T = 0.5;
    /** Rows: the top and bottom hidden neurons; columns: x1, x2 (the lecture's w3 w4 / w5 w6). */
    private static final double[][] HIDDEN = {{0.1, 0.8}, {0.4, 0.6}};
    /** From the top and bottom neurons to the output (w1, w2). */
    private static final double[] OUT = {0.3, 0.9};

    private static double sig(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    private static double[] hidden(double[][] wh) {
        double[] h = new double[2];
        for (int j = 0; j < 2; j++) {
            double net = 0;
            for (int i = 0; i < 2; i++) {
                net += wh[j][i] * X[i];
            }
            h[j] = sig(net);
        }
        return h;
    }

    private static double output(double[][] wh, double[] wo) {
        double[] h = hidden(wh);
        return sig(wo[0] * h[0] + wo[1] * h[1]);
    }

    private static double loss(double[][] wh, double[] wo) {
        double e = T - output(wh, wo);
        return 0.5 * e * e;
    }

    /** dE/dw for (w1, w2, w3, w4, w5, w6) by the chain rule on the matrices, with the weights of the forward pass. */
    private static double[] gradients() {
        double[] h = hidden(HIDDEN);
        double o = output(HIDDEN, OUT);
        double dNetO = -(T - o) * o * (1 - o); // dE/do * do/dnet
        double[] dNetH = new double[2];
        for (int j = 0; j < 2; j++) {
            dNetH[j] = dNetO * OUT[j] * h[j] * (1 - h[j]);
        }
        return new double[] {dNetO * h[0], dNetO * h[1], dNetH[0] * X[0], dNetH[0] * X[1], dNetH[1] * X[0], dNetH[1] * X[1]};
    }

    /** The same six gradients by central differences of the loss, h = 1e-6 (error about 1e-12). */
    private static double[] finiteDifferences() {
        double[] g = new double[6];
        double h = 1e-6;
        for (int k = 0; k < 6; k++) {
            double[][] plusH = {HIDDEN[0].clone(), HIDDEN[1].clone()};
            double[][] minusH = {HIDDEN[0].clone(), HIDDEN[1].clone()};
            double[] plusO = OUT.clone();
            double[] minusO = OUT.clone();
            if (k < 2) {
                plusO[k] += h;
                minusO[k] -= h;
            } else {
                plusH[(k - 2) / 2][(k - 2) % 2] += h;
                minusH[(k - 2) / 2][(k - 2) % 2] -= h;
            }
            g[k] = (loss(plusH, plusO) - loss(minusH, minusO)) / (2 * h);
        }
        return g;
    }

    private static Map<String, Double> oracle() {
        Map<String, Double> v = new HashMap<>();
        double[] h = hidden(HIDDEN);
        double o = output(HIDDEN, OUT);
        v.put("net_top", 0.35 * 0.1 + 0.9 * 0.8);
        v.put("net_bottom", 0.35 * 0.4 + 0.9 * 0.6);
        v.put("out_top", h[0]);
        v.put("out_bottom", h[1]);
        v.put("net_o", 0.3 * h[0] + 0.9 * h[1]);
        v.put("o", o);
        v.put("t - o", T - o);
        v.put("E", loss(HIDDEN, OUT));
        double[] g = gradients();
        String[] names = {"w1", "w2", "w3", "w4", "w5", "w6"};
        double[] initial = {OUT[0], OUT[1], HIDDEN[0][0], HIDDEN[0][1], HIDDEN[1][0], HIDDEN[1][1]};
        for (int k = 0; k < 6; k++) {
            v.put("dE/d" + names[k], g[k]);
            v.put(names[k] + "+", initial[k] - 1.0 * g[k]);
        }
        v.put("delta_o", -g[0] / h[0]);
        v.put("delta_top", -g[2] / X[0]);
        v.put("delta_bottom", -g[4] / X[0]);
        double[][] newH = {{v.get("w3+"), v.get("w4+")}, {v.get("w5+"), v.get("w6+")}};
        double oNew = output(newH, new double[] {v.get("w1+"), v.get("w2+")});
        v.put("o+", oNew);
        v.put("t - o+", T - oNew);
        return v;
    }

    @Test
    void handAndAutodiffAgreeWithTheTestsOwnBackpropTo1e12() {
        Map<String, Double> expected = oracle();
        List<BackpropByHandSample.Row> rows = BackpropByHandSample.step();
        assertEquals(expected.keySet(), new java.util.HashSet<>(rows.stream().map(BackpropByHandSample.Row::name).toList()));
        for (BackpropByHandSample.Row r : rows) {
            double e = expected.get(r.name());
            assertEquals(e, r.hand(), 1e-12, "by hand: " + r.name());
            assertEquals(e, r.autodiff(), 1e-12, "autodiff: " + r.name());
        }
    }

    @Test
    void gradientsAgreeWithFiniteDifferences() {
        double[] fd = finiteDifferences();
        Map<String, Double> auto = BackpropByHandSample.byAutodiff();
        for (int k = 0; k < 6; k++) {
            String name = "dE/dw" + (k + 1);
            assertEquals(fd[k], auto.get(name), 1e-9, name);
            assertTrue(Math.abs(auto.get(name)) > 1e-4, name + " is not negligible, so 1e-9 tests something");
        }
    }

    /** Our value rounded to the digits the lecture printed. */
    private static String rounded(double ours, String printed) {
        BigDecimal p = new BigDecimal(printed);
        return new BigDecimal(ours).setScale(p.scale(), RoundingMode.HALF_EVEN).toPlainString();
    }

    @Test
    void lecturesForwardPassIsRightToItsPrintedDigits() {
        Map<String, Double> v = oracle();
        // typed from seeds/001: "Input to top neuron = 0.755. Out = 0.68." ... "Out = 0.69", "Old error was -0.19"
        String[][] printed = {{"net_top", "0.755"}, {"out_top", "0.68"}, {"net_bottom", "0.68"}, {"out_bottom", "0.6637"},
            {"o", "0.69"}, {"t - o", "-0.19"}};
        for (String[] p : printed) {
            assertEquals(new BigDecimal(p[1]).toPlainString(), rounded(v.get(p[0]), p[1]), p[0]);
            assertEquals(p[1], BackpropByHandSample.LECTURE.get(p[0]), "the sample prints the lecture's " + p[0]);
        }
        // later values carry the lecture's rounding of out_top and o to two digits: right to about 0.5%
        String[][] carried = {{"net_o", "0.80133"}, {"delta_o", "-0.0406"}, {"w1+", "0.272392"}, {"w2+", "0.87305"}};
        for (String[] p : carried) {
            double lecture = Double.parseDouble(p[1]);
            assertEquals(lecture, v.get(p[0]), 5e-3 * Math.abs(lecture), p[0]);
        }
    }

    @Test
    void theLecturesSlipIsTheUpdatedOutputWeightsAndTheSampleFixesIt() {
        Map<String, Double> correct = BackpropByHandSample.byHand(false);
        Map<String, Double> slip = BackpropByHandSample.byHand(true);
        Map<String, Double> o = oracle();
        // the lecture's way: the hidden error terms scale with w+ / w instead of being backprop's
        assertEquals(o.get("delta_top") * o.get("w1+") / 0.3, slip.get("delta_top"), 1e-15);
        assertEquals(o.get("delta_bottom") * o.get("w2+") / 0.9, slip.get("delta_bottom"), 1e-15);
        // ... which reproduces its printed updates (typed from seeds/001) to their digits
        assertEquals("0.09916", rounded(slip.get("w3+"), "0.09916"));
        assertEquals("0.7978", rounded(slip.get("w4+"), "0.7978"));
        assertEquals("0.3972", rounded(slip.get("w5+"), "0.3972"));
        assertEquals(-2.406e-3, slip.get("delta_top"), 5e-3 * 2.406e-3);
        assertEquals(-7.916e-3, slip.get("delta_bottom"), 5e-3 * 7.916e-3);
        // and the right numbers (seeds/README.md): w3+ = 0.09907, new error -0.18202
        assertEquals("0.09907", rounded(correct.get("w3+"), "0.09907"));
        assertEquals("-0.18202", rounded(correct.get("t - o+"), "-0.18202"));
        assertEquals("0.09907", rounded(o.get("w3+"), "0.09907"));
        assertEquals("-0.18202", rounded(o.get("t - o+"), "-0.18202"));
        assertNotEquals(rounded(slip.get("t - o+"), "-0.18202"), "-0.18202");
        for (String name : BackpropByHandSample.SLIPPED) {
            assertEquals(o.get(name), correct.get(name), 1e-12, name);
        }
    }

    @Test
    void runPrintsTheTableAndTheCorrection() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            BackpropByHandSample.run();
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("So w3+ is 0.09907, not the lecture's 0.09916, and the new error is -0.18202"), out);
        assertTrue(out.contains("0.09915663") && out.contains("0.09907093"), out);
        assertTrue(out.contains("-0.18203120") && out.contains("-0.18201858"), out);
    }
}
