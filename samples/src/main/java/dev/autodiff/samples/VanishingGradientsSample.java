package dev.autodiff.samples;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Activations;
import dev.autodiff.nn.BatchNorm1d;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.Residual;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.optim.Sgd;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Vanishing gradients, after the Tsinghua lecture (seeds/003, "梯度弥散/消失"). Backprop multiplies the error
 * by each layer's W^T and activation slope on its way down: delta_l = (delta_{l+1} W_{l+1}^T) * g'(z_l), and
 * dLoss/dW_l = a_{l-1}^T delta_l. With sigmoid, g' &lt;= 1/4, so unless W makes up for it the error shrinks
 * layer by layer.
 * <ol>
 *   <li>Part (a): the size of dLoss/dW (Frobenius norm) for every layer of deep networks at initialisation, on one
 *   seeded batch with random labels and cross-entropy: sigmoid, tanh (both Xavier normal), ReLU (He normal), and
 *   the sigmoid network with skip connections (x + sigmoid(W x + b)) and with batch norm before each sigmoid.
 *   A table and a chart (log y) in target/vanishing-gradients/.</li>
 *   <li>Part (b): the lecture's 6-layer scalar sigmoid chain, every weight and bias starting at 1, trained on its
 *   five samples one at a time with learning rate 1 and cross-entropy (so delta6 = a6 - y), printed as its table
 *   with its numbers beside ours. Its later samples follow from its listed weights only if the biases are
 *   trained too (b_l -= delta_{l+1}); the lecture does not say so, its numbers do.</li>
 * </ol>
 * Sizes: {@code -Dvanishing.depth=} hidden layers (15), {@code .width=} (64), {@code .batch=} (128),
 * {@code .seed=} (7); the network has depth + 1 Linear layers, the last one the 10-class head.
 */
final class VanishingGradientsSample {
    static final List<String> VARIANTS = List.of("sigmoid", "tanh", "relu", "residual", "batchnorm");
    static final int CLASSES = 10;

    private VanishingGradientsSample() {}

    /** A network of part (a): the model, and its Linear layers from first to last (the head). */
    record Network(String variant, String recipe, Module model, List<Linear> layers) {}

    static void run() throws Exception {
        run(Integer.getInteger("vanishing.depth", 15), Integer.getInteger("vanishing.width", 64),
                Integer.getInteger("vanishing.batch", 128), Long.getLong("vanishing.seed", 7L));
    }

    static void run(int depth, int width, int batch, long seed) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of("target", "vanishing-gradients");
        Files.createDirectories(dir);

        System.out.printf("(a) ||dLoss/dW|| per layer at initialisation: %d Linear layers of width %d (the last the %d-class "
                + "head),%none batch of %d standard normal inputs with random labels, cross-entropy, seed %d.%n",
                depth + 1, width, CLASSES, batch, seed);
        for (String v : VARIANTS) {
            System.out.printf("  %-10s %s%n", v, build(v, 1, width, seed).recipe());
        }
        Map<String, double[]> norms = layerNorms(depth, width, batch, seed);
        System.out.printf("%n%6s", "layer");
        VARIANTS.forEach(v -> System.out.printf(" %11s", v));
        System.out.println();
        for (int l = 0; l <= depth; l++) {
            System.out.printf("%6s", l == depth ? (l + 1) + " h" : Integer.toString(l + 1));
            for (String v : VARIANTS) {
                System.out.printf(" %11.3e", norms.get(v)[l]);
            }
            System.out.println();
        }
        System.out.printf("%6s", "last/1");
        for (String v : VARIANTS) {
            double[] n = norms.get(v);
            System.out.printf(" %11.3g", n[depth] / n[0]);
        }
        System.out.printf("%n%6s", "/layer");
        for (String v : VARIANTS) {
            double[] n = norms.get(v);
            // the geometric mean fall per hidden layer, from layer 1 to the last hidden one
            System.out.printf(" %11.3g", Math.pow(n[depth - 1] / n[0], 1.0 / Math.max(1, depth - 1)));
        }
        System.out.println();
        System.out.println("Read down a column: the sigmoid network's gradient shrinks by a factor of about 4 per layer going");
        System.out.println("back from the head (sigmoid' <= 1/4, and Xavier's W keeps ||W^T delta|| about ||delta||), so its first");
        System.out.println("layer barely learns; tanh (slope up to 1) and ReLU with He init keep the size within a small factor;");
        System.out.println("a skip connection passes the error past each sigmoid unchanged, and batch norm divides it by each");
        System.out.println("layer's batch standard deviation (small, as sigmoid outputs vary little), which cancels the");
        System.out.println("shrinking. ('/layer' is the geometric mean factor per hidden layer, layer 1 to " + depth + ".)");

        XYChart chart = new XYChartBuilder().width(800).height(520)
                .title("||dLoss/dW|| per layer at initialisation (" + (depth + 1) + " layers, width " + width + ")")
                .xAxisTitle("layer (1 = nearest the input)").yAxisTitle("Frobenius norm of dLoss/dW").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        double[] layers = new double[depth + 1];
        for (int l = 0; l <= depth; l++) {
            layers[l] = l + 1;
        }
        for (String v : VARIANTS) {
            chart.addSeries(v, layers, norms.get(v)).setMarker(SeriesMarkers.CIRCLE);
        }
        save(chart, dir.resolve("layer-norms"));

        System.out.println();
        List<ChainStep> chain = lectureChain();
        printChain(chain);
        XYChart updates = new XYChartBuilder().width(800).height(520)
                .title("The lecture's 6-layer sigmoid chain: size of each weight's update per sample")
                .xAxisTitle("sample").yAxisTitle("|update D| (learning rate 1)").build();
        updates.getStyler().setYAxisLogarithmic(true);
        updates.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        double[] samples = {1, 2, 3, 4, 5};
        for (int l = 5; l >= 2; l--) {
            double[] d = new double[chain.size()];
            for (int k = 0; k < chain.size(); k++) {
                d[k] = Math.abs(chain.get(k).dw()[l]);
            }
            updates.addSeries("D" + l + " (w" + l + ")", samples, d).setMarker(SeriesMarkers.CIRCLE);
        }
        save(updates, dir.resolve("lecture-chain"));
        System.out.println("charts written to " + dir.toAbsolutePath() + " (layer-norms.png/.svg, lecture-chain.png/.svg)");
    }

    // ================================================================ (a) deep networks

    /**
     * A network of {@code depth} hidden layers of {@code width} units and a head to {@link #CLASSES} logits. Layer l's
     * weight comes from seed + l, so every variant starts from the same random matrices, scaled by its init.
     */
    static Network build(String variant, int depth, int width, long seed) {
        if (!VARIANTS.contains(variant)) {
            throw new IllegalArgumentException("vanishing-gradients: unknown variant '" + variant + "', expected one of "
                    + VARIANTS);
        }
        if (depth < 1 || width < 1) {
            throw new IllegalArgumentException("vanishing-gradients: need depth >= 1 and width >= 1, got depth " + depth
                    + ", width " + width);
        }
        List<Module> blocks = new ArrayList<>();
        List<Linear> linears = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            Tensor w = variant.equals("relu")
                    ? Init.heNormal(seed + l, width, width, width)
                    : Init.xavierNormal(seed + l, width, width, width, width);
            // before batch norm a bias is redundant (BN subtracts the mean), as in PyTorch practice
            Linear linear = new Linear(w, variant.equals("batchnorm") ? null : Init.zeros(width));
            linears.add(linear);
            blocks.add(switch (variant) {
                case "sigmoid" -> new Sequential(linear, Activations.sigmoid());
                case "tanh" -> new Sequential(linear, Activations.tanh());
                case "relu" -> new Sequential(linear, Activations.relu());
                case "residual" -> new Residual(new Sequential(Activations.sigmoid(), linear));
                default -> new Sequential(linear, new BatchNorm1d(width), Activations.sigmoid());
            });
        }
        Linear head = new Linear(Init.xavierNormal(seed + depth, width, CLASSES, width, CLASSES), Init.zeros(CLASSES));
        linears.add(head);
        blocks.add(head);
        String recipe = switch (variant) {
            case "sigmoid" -> "Linear -> sigmoid, Xavier normal N(0, 2/(in+out)), zero bias";
            case "tanh" -> "Linear -> tanh, Xavier normal";
            case "relu" -> "Linear -> ReLU, He normal N(0, 2/in)";
            case "residual" -> "x + Linear(sigmoid(x)) (a pre-activation residual block), Xavier normal";
            default -> "Linear (no bias) -> BatchNorm1d (batch statistics) -> sigmoid, Xavier normal";
        };
        return new Network(variant, recipe, new Sequential(blocks.toArray(new Module[0])), List.copyOf(linears));
    }

    /** The fixed batch: standard normal inputs (batch, width) from {@code seed}, labels uniform in [0, CLASSES). */
    static Tensor inputs(int batch, int width, long seed) {
        return Tensor.randn(seed, batch, width);
    }

    static int[] labels(int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = random.nextInt(CLASSES);
        }
        return y;
    }

    static Tensor loss(Network net, Tensor x, int[] labels) {
        return Losses.crossEntropy(net.model().forward(x), labels);
    }

    /** One backward pass per variant: the Frobenius norm of each layer's weight gradient, first to last, by variant. */
    static Map<String, double[]> layerNorms(int depth, int width, int batch, long seed) {
        Tensor x = inputs(batch, width, seed);
        int[] y = labels(batch, seed + 1);
        Map<String, double[]> norms = new LinkedHashMap<>();
        for (String variant : VARIANTS) {
            Network net = build(variant, depth, width, seed);
            loss(net, x, y).backward();
            norms.put(net.variant(), net.layers().stream().mapToDouble(l -> norm(l.weight().grad())).toArray());
        }
        return norms;
    }

    static double norm(Tensor t) {
        return Math.sqrt(t.square().sum().item());
    }

    // ================================================================ (b) the lecture's chain

    /** The lecture's five inputs (height and monthly salary, normalised), each labelled 1. */
    static final double[][] LECTURE_INPUTS = {
        {0.42726183643262816, 0.26491365101710074},
        {0.022738348122339595, 0.07327263834999487},
        {0.24508024911229243, 0.47025690528852293},
        {0.020625885863829768, 0.3328224388374417},
        {-0.0590857100936783, 0.3165621031353404},
    };

    /**
     * One sample of the chain, with the lecture's indices (index 0 and 1 unused where the lecture has no such
     * quantity): activations a2..a6, the weights w1 (two) and w2..w5 and biases b1..b5 before the update, error
     * terms delta2..delta6 (dLoss/dz), and the updates D_l = dLoss/dw_l = a_l delta_{l+1} (D1 for w1's two).
     */
    record ChainStep(double[] x, double[] a, double[] w1, double[] w, double[] b, double[] delta, double[] d1, double[] dw) {}

    /**
     * The chain z2 = w1 . x + b1, z_{l+1} = w_l a_l + b_l, a_l = sigmoid(z_l), l = 2..5, built from Linear layers
     * with every weight and bias 1, cross-entropy on a6 (from the logit z6) against label 1, Sgd with learning
     * rate 1 on weights and biases, one sample at a time.
     */
    static List<ChainStep> lectureChain() {
        List<Linear> layers = new ArrayList<>();
        layers.add(new Linear(Init.constant(1.0, 2, 1), Init.constant(1.0, 1)));
        for (int l = 2; l <= 5; l++) {
            layers.add(new Linear(Init.constant(1.0, 1, 1), Init.constant(1.0, 1)));
        }
        List<Tensor> params = new ArrayList<>();
        layers.forEach(l -> params.addAll(l.parameters().values()));
        Sgd sgd = new Sgd(params, 1.0);
        List<ChainStep> steps = new ArrayList<>();
        for (double[] sample : LECTURE_INPUTS) {
            double[] w1 = layers.get(0).weight().toArray();
            double[] w = new double[6];
            double[] b = new double[6];
            for (int l = 1; l <= 5; l++) {
                b[l] = layers.get(l - 1).bias().item();
                if (l >= 2) {
                    w[l] = layers.get(l - 1).weight().item();
                }
            }
            Tensor[] z = new Tensor[7];
            Tensor[] a = new Tensor[7];
            a[1] = Tensor.fromArray(sample.clone(), 1, 2);
            for (int l = 2; l <= 6; l++) {
                z[l] = layers.get(l - 2).forward(a[l - 1]).retainGrad();
                a[l] = Activations.sigmoid(z[l]);
            }
            Tensor loss = Losses.binaryCrossEntropyWithLogits(z[6], Tensor.ones(1, 1));
            sgd.zeroGrad();
            loss.backward();
            double[] av = new double[7];
            double[] delta = new double[7];
            double[] dw = new double[6];
            for (int l = 2; l <= 6; l++) {
                av[l] = a[l].item();
                delta[l] = z[l].grad().item();
                if (l <= 5) {
                    dw[l] = layers.get(l - 1).weight().grad().item();
                }
            }
            double[] d1 = layers.get(0).weight().grad().toArray();
            sgd.step();
            steps.add(new ChainStep(sample.clone(), av, w1, w, b, delta, d1, dw));
        }
        return steps;
    }

    /**
     * The lecture's detailed table ("详细过程数据", lr = 1), as printed there: a row, then one cell per sample (two
     * numbers for w1 and D1). The weights are the ones before the sample's update.
     */
    static final String LECTURE_TABLE = """
            a2\t0.844510043\t0.749517347\t0.847536926\t0.794708552\t0.778612798
            a3\t0.86348123\t0.851935833\t0.863920453\t0.857622732\t0.855677899
            a4\t0.865702198\t0.864721822\t0.866449181\t0.866012666\t0.866055607
            a5\t0.865960202\t0.868974414\t0.871897244\t0.87424135\t0.876374878
            a6\t0.865990147\t0.89127452\t0.908727055\t0.921425419\t0.93108018
            w1\t1 1\t1.000011960584024 1.0000074158787702\t1.00001284411393 1.0000102629882888\t\
            1.0000183137030152 1.0000207579671578\t1.0000188668444303 1.0000296835413627
            w2\t1\t1.000180035\t1.000335133\t1.000481464\t1.000612034
            w3\t1\t1.00156156\t1.002956955\t1.00422199\t1.00537111
            w4\t1\t1.013465948\t1.025412799\t1.0361054\t1.045757047
            w5\t1\t1.1160472\t1.210526859\t1.290107489\t1.358800636
            delta6\t-0.134009853\t-0.10872548\t-0.091272945\t-0.078574581\t-0.06891982
            delta5\t-0.015554943\t-0.01381583\t-0.012340714\t-0.011144926\t-0.010146039
            delta4\t-0.001808447\t-0.001637911\t-0.001464295\t-0.00133989\t-0.001230829
            delta3\t-2.13E-04\t-0.000206931\t-0.000172654\t-1.64E-04\t-0.000152815
            delta2\t-2.80E-05\t-3.89E-05\t-2.23E-05\t-2.68E-05\t-2.64E-05
            D5\t-0.1160472\t-0.09447966\t-0.079580629\t-0.068693148\t-0.060399599
            D4\t-0.013465948\t-0.01194685\t-0.010692601\t-0.009651647\t-0.008787034
            D3\t-0.00156156\t-0.001395395\t-0.001265035\t-0.00114912\t-0.001053193
            D2\t-1.80E-04\t-0.000155098\t-0.000146331\t-1.31E-04\t-0.000118984
            D1\t-1.1960584024080716e-05 -7.41587877019681e-06\t-8.835299073628376e-07 -2.8471095184789783e-06\t\
            -5.469589083618191e-06 -1.0494978869079214e-05\t-5.53141415172832e-07 -8.925574204919652e-06\t\
            1.5573614911281898e-06 -8.343838606524198e-06
            """;

    /** The lecture's table by row name ("a2", "w1[1]", "D1[2]", ...): one printed number per sample. */
    static Map<String, String[]> lectureTable() {
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (String line : LECTURE_TABLE.strip().split("\n")) {
            String[] cells = line.split("\t");
            int parts = cells[1].split(" ").length;
            for (int j = 0; j < parts; j++) {
                String name = parts == 1 ? cells[0] : cells[0] + "[" + (j + 1) + "]";
                String[] values = new String[cells.length - 1];
                for (int k = 1; k < cells.length; k++) {
                    values[k - 1] = cells[k].split(" ")[j];
                }
                rows.put(name, values);
            }
        }
        return rows;
    }

    /** Our value of a row of the lecture's table (or a bias row "b1".."b5") at a sample. */
    static double value(ChainStep s, String row) {
        int j = row.endsWith("]") ? row.charAt(row.length() - 2) - '1' : -1;
        String base = j < 0 ? row : row.substring(0, row.indexOf('['));
        int l = Integer.parseInt(base.replaceAll("\\D", ""));
        return switch (base.replaceAll("\\d", "")) {
            case "a" -> s.a()[l];
            case "w" -> l == 1 ? s.w1()[j] : s.w()[l];
            case "b" -> s.b()[l];
            case "delta" -> s.delta()[l];
            case "D" -> l == 1 ? s.d1()[j] : s.dw()[l];
            default -> throw new IllegalArgumentException("vanishing-gradients: no row '" + row + "'");
        };
    }

    /**
     * Whether our value shows as the lecture's printed number: within half a unit of its last printed digit (it
     * drops trailing zeros, which only widens this), plus 1e-13 relative for the last bits of full-precision prints.
     */
    static boolean agrees(double ours, String printed) {
        BigDecimal p = new BigDecimal(printed);
        double halfUnit = 0.5 * Math.pow(10, -p.scale());
        return Math.abs(ours - p.doubleValue()) <= halfUnit + 1e-13 * Math.abs(p.doubleValue());
    }

    private static void printChain(List<ChainStep> chain) {
        System.out.println("(b) The Tsinghua lecture's chain: 2 inputs -> 5 sigmoid neurons in a row, every weight and bias 1,");
        System.out.println("cross-entropy against label 1 (delta6 = a6 - y), learning rate 1, one sample at a time. 'ours' is the");
        System.out.println("library (Linear, sigmoid, binaryCrossEntropyWithLogits, backward(), Sgd); 'lecture' its table as printed.");
        System.out.println("Its samples 2-5 follow from its weights only if the biases are trained too (the rows b1..b5, which");
        System.out.println("the lecture does not print).");
        Map<String, String[]> lecture = lectureTable();
        List<String> order = new ArrayList<>(lecture.keySet());
        int at = order.indexOf("delta6");
        for (int l = 5; l >= 1; l--) {
            order.add(at + 5 - l, "b" + l);
        }
        System.out.printf("%-16s", "");
        for (int k = 1; k <= chain.size(); k++) {
            System.out.printf(" %24s", "sample " + k);
        }
        System.out.println();
        int agree = 0;
        int total = 0;
        for (String row : order) {
            System.out.printf("%-7s %-8s", row, "ours");
            for (ChainStep s : chain) {
                System.out.printf(" %24.10g", value(s, row));
            }
            System.out.println();
            String[] printed = lecture.get(row);
            if (printed != null) {
                System.out.printf("%-7s %-8s", "", "lecture");
                for (int k = 0; k < chain.size(); k++) {
                    boolean same = agrees(value(chain.get(k), row), printed[k]);
                    agree += same ? 1 : 0;
                    total++;
                    System.out.printf(" %24s", printed[k] + (same ? " " : "*"));
                }
                System.out.println();
            }
        }
        System.out.printf("%d of %d of the lecture's numbers agree with ours to their printed digits (* marks the others).%n",
                agree, total);
        ChainStep first = chain.get(0);
        System.out.printf("The lecture's point: each layer back moves less. In sample 1, D5 = %.3g, D4 = %.3g, D3 = %.3g, "
                + "D2 = %.3g:%n", first.dw()[5], first.dw()[4], first.dw()[3], first.dw()[2]);
        System.out.println("about 9 times less per layer. delta_l = w_l delta_{l+1} a_l (1 - a_l) and a (1 - a) <= 1/4, so with");
        System.out.println("weights near 1 every layer shrinks the error at least about 4 times (here a = 0.86, so by 1/0.12).");
    }

    private static void save(XYChart c, Path base) throws Exception {
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
