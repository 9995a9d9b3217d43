package dev.autodiff.samples;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Embedding;
import dev.autodiff.nn.Init;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.data.KingJamesBible;
import dev.autodiff.nn.data.Tokenizer;
import dev.autodiff.nn.data.Vocabulary;
import dev.autodiff.nn.optim.Adam;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * CBOW word embeddings (word2vec) of the King James Bible, as the SJTU lecture tells it: the hidden layer is the
 * mean of the C context words' input vectors, h = (1/C) (v_{w_1} + ... + v_{w_C}), and the centre word is predicted
 * from the scores v'_j . h of the output vectors. The lecture's loss is the full softmax,
 * E = -v'_{w_O} . h + log sum_j exp(v'_j . h), which costs V d per example (6,000 words x 64 = 384,000 multiply-adds,
 * and as much again backwards). This sample uses negative sampling instead (Mikolov et al. 2013): E = -log
 * sigmoid(v'_{w_O} . h) - sum over K words drawn from the unigram distribution to the 3/4 of log sigmoid(-v'_k . h),
 * (K + 1) d per example, about 1,000 times less, so that five epochs take about a minute here.
 *
 * <p>The lecture's update for the input vectors is written on v'; it is on v: each context word's input vector moves
 * by -(eta / C) EH, where EH = dE/dh. Here autodiff gives the same: the gradient of the mean reaches each
 * context row of the input table with the factor 1/C.
 *
 * <p>Words are {@link Tokenizer#words()} (lower-cased) without punctuation; words seen fewer than {@code minCount}
 * times are dropped, and frequent words are subsampled as word2vec does. Prints the nearest neighbours (cosine of
 * the input vectors) of a few words and draws the most frequent 100 words on the first two principal components
 * (power iteration) to target/cbow/.
 *
 * <p>Settings ({@code -Dcbow.NAME=value} on the java command line): {@code dim} (64), {@code window} (context words
 * on each side, 3), {@code negatives} (5), {@code batch} (256), {@code epochs} (5), {@code lr} (Adam, 0.01),
 * {@code minCount} (5), {@code subsample} (1e-4), {@code seed} (1), {@code file} (an EC02 file; default
 * /usr/lib/bible.data from apt-get install bible-kjv-text).
 */
final class CbowSample {
    private CbowSample() {}

    record Settings(int dim, int window, int negatives, int batch, int epochs, double lr, int minCount,
                    double subsample, long seed) {
        static Settings fromProperties() {
            return new Settings(Integer.getInteger("cbow.dim", 64), Integer.getInteger("cbow.window", 3),
                    Integer.getInteger("cbow.negatives", 5), Integer.getInteger("cbow.batch", 256),
                    Integer.getInteger("cbow.epochs", 5), Double.parseDouble(System.getProperty("cbow.lr", "0.01")),
                    Integer.getInteger("cbow.minCount", 5),
                    Double.parseDouble(System.getProperty("cbow.subsample", "1e-4")), Long.getLong("cbow.seed", 1));
        }
    }

    /** The trained vectors: the input vectors v, one row per vocabulary index, scaled to unit length. */
    record Embeddings(Vocabulary vocab, double[][] unit, List<Double> epochLosses, int examplesPerEpoch,
                      double seconds) {
        /** The k words whose vectors have the largest cosine with {@code word}'s, with the cosines. */
        List<String> nearest(String word, int k) {
            int w = vocab.index(word);
            if (w <= 0) {
                throw new IllegalArgumentException("cbow: \"" + word + "\" is not in the vocabulary");
            }
            Integer[] order = new Integer[unit.length];
            double[] cos = new double[unit.length];
            for (int j = 0; j < unit.length; j++) {
                order[j] = j;
                cos[j] = dot(unit[w], unit[j]);
            }
            Arrays.sort(order, (a, b) -> Double.compare(cos[b], cos[a]));
            List<String> out = new ArrayList<>();
            for (int j : order) {
                if (j != w && j != vocab.unknownIndex() && out.size() < k) {
                    out.add(String.format("%s %.2f", vocab.token(j), cos[j]));
                }
            }
            return out;
        }
    }

    /**
     * Trains CBOW with negative sampling on a word stream. The vocabulary keeps words seen {@code minCount} times
     * (index 0 is the unknown word, never trained); the examples are the positions with {@code window} kept words on
     * each side, after subsampling, in a seeded order each epoch.
     */
    static Embeddings train(List<String> words, Settings s, boolean print) {
        long t0 = System.nanoTime();
        Vocabulary vocab = Vocabulary.of(words, s.minCount(), Vocabulary.UNKNOWN);
        int v = vocab.size();
        int[] all = vocab.encode(words);
        long kept = 0;
        for (int i = 1; i < v; i++) {
            kept += vocab.count(i);
        }
        // word2vec's keep probability sqrt(t / f) + t / f (capped at 1) for a word of frequency f
        double[] keep = new double[v];
        for (int i = 1; i < v; i++) {
            double ratio = s.subsample() <= 0 ? Double.POSITIVE_INFINITY : s.subsample() / (vocab.count(i) / (double) kept);
            keep[i] = Math.min(1, Math.sqrt(ratio) + ratio);
        }
        // negatives from counts^(3/4): a cumulative table searched by bisection
        double[] cumulative = new double[v];
        for (int i = 1; i < v; i++) {
            cumulative[i] = cumulative[i - 1] + Math.pow(vocab.count(i), 0.75);
        }
        for (int i = 1; i < v; i++) {
            cumulative[i] /= cumulative[v - 1];
        }

        Embedding in = new Embedding(v, s.dim(), s.seed());
        Embedding out = new Embedding(v, s.dim(), s.seed() + 1);
        // word2vec's start: input vectors uniform on +-0.5/d, output vectors zero (N(0, 1) rows would start with
        // scores of size sqrt(d) and saturated sigmoids)
        in.weight().assign(Init.uniform(s.seed() + 2, -0.5 / s.dim(), 0.5 / s.dim(), v, s.dim()));
        out.weight().assign(Tensor.zeros(v, s.dim()));
        Adam adam = new Adam(List.of(in.weight(), out.weight()), s.lr());

        int c = s.window();
        int k = s.negatives();
        double[] labels = new double[s.batch() * (k + 1)];
        for (int b = 0; b < s.batch(); b++) {
            labels[b * (k + 1)] = 1; // column 0 is the true centre word, the others are negatives
        }
        Tensor target = Tensor.fromArray(labels, s.batch(), k + 1);
        List<Double> epochLosses = new ArrayList<>();
        int examplesPerEpoch = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            SplittableRandom random = new SplittableRandom(s.seed() * 1000 + epoch);
            int[] stream = subsample(all, keep, random);
            int n = stream.length - 2 * c;
            int[] order = permutation(Math.max(n, 0), random);
            examplesPerEpoch = n;
            int[] context = new int[s.batch() * 2 * c];
            int[] candidates = new int[s.batch() * (k + 1)];
            double sum = 0;
            int batches = 0;
            for (int from = 0; from + s.batch() <= n; from += s.batch()) { // the last partial batch is dropped
                for (int b = 0; b < s.batch(); b++) {
                    int centre = order[from + b] + c;
                    for (int j = 0; j < c; j++) {
                        context[b * 2 * c + j] = stream[centre - c + j];
                        context[b * 2 * c + c + j] = stream[centre + 1 + j];
                    }
                    candidates[b * (k + 1)] = stream[centre];
                    for (int j = 1; j <= k; j++) {
                        int neg;
                        do {
                            neg = draw(cumulative, random);
                        } while (neg == stream[centre]);
                        candidates[b * (k + 1) + j] = neg;
                    }
                }
                Tensor loss = loss(in, out, context, candidates, s.batch(), c, k, target);
                adam.zeroGrad();
                loss.backward();
                adam.step();
                sum += loss.item();
                batches++;
            }
            double mean = sum / Math.max(1, batches);
            epochLosses.add(mean);
            if (print) {
                System.out.printf("epoch %d: %,d examples, mean loss %.4f per example (%.0f s)%n", epoch, n, mean,
                        (System.nanoTime() - t0) / 1e9);
            }
        }
        double[][] w = new double[v][s.dim()];
        double[] flat = in.weight().toArray();
        for (int i = 0; i < v; i++) {
            double norm = 0;
            for (int j = 0; j < s.dim(); j++) {
                norm += flat[i * s.dim() + j] * flat[i * s.dim() + j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < s.dim(); j++) {
                w[i][j] = norm == 0 ? 0 : flat[i * s.dim() + j] / norm;
            }
        }
        return new Embeddings(vocab, w, epochLosses, examplesPerEpoch, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Negative-sampling loss of a batch, summed over the K + 1 candidates and averaged over the examples:
     * h = mean of the 2C context rows of v; scores v'_j . h; -log sigmoid(score) for the centre word (label 1),
     * -log sigmoid(-score) for each negative (label 0), which is binary cross-entropy on the scores.
     */
    static Tensor loss(Embedding in, Embedding out, int[] context, int[] candidates, int batch, int c, int k,
                       Tensor target) {
        Tensor h = in.lookup(context, batch, 2 * c).mean(1);          // (B, d)
        Tensor u = out.lookup(candidates, batch, k + 1);               // (B, K + 1, d)
        Tensor scores = u.mul(h.unsqueeze(1)).sum(2);                  // (B, K + 1)
        return Losses.binaryCrossEntropyWithLogits(scores, target).mul(k + 1);
    }

    /** The stream less the unknown word (index 0) and less the words subsampling drops. */
    private static int[] subsample(int[] ids, double[] keep, SplittableRandom random) {
        int[] out = new int[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id != 0 && (keep[id] >= 1 || random.nextDouble() < keep[id])) {
                out[n++] = id;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The first index whose cumulative probability passes a uniform draw (index 0 has probability 0). */
    private static int draw(double[] cumulative, SplittableRandom random) {
        double u = random.nextDouble();
        int lo = 1;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * The rows of x (n, d), centred, projected on the two leading eigenvectors of their covariance; each found by
     * power iteration from a seeded start (the second after deflating the first), 500 iterations. Returns (n, 2) and
     * the two eigenvalues in {@code eigenvalues}.
     */
    static double[][] pca2(double[][] x, long seed, double[] eigenvalues) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / n;
            }
        }
        double[][] cov = new double[d][d];
        for (double[] row : x) {
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    cov[a][b] += (row[a] - mean[a]) * (row[b] - mean[b]) / n;
                }
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[][] axes = new double[2][];
        for (int comp = 0; comp < 2; comp++) {
            double[] e = new double[d];
            for (int j = 0; j < d; j++) {
                e[j] = random.nextDouble(-1, 1);
            }
            double lambda = 0;
            for (int it = 0; it < 500; it++) {
                double[] next = new double[d];
                for (int a = 0; a < d; a++) {
                    next[a] = dot(cov[a], e);
                }
                lambda = Math.sqrt(dot(next, next));
                if (lambda == 0) {
                    break;
                }
                for (int a = 0; a < d; a++) {
                    e[a] = next[a] / lambda;
                }
            }
            axes[comp] = e;
            eigenvalues[comp] = lambda;
            for (int a = 0; a < d; a++) { // deflate: cov -= lambda e e^T
                for (int b = 0; b < d; b++) {
                    cov[a][b] -= lambda * e[a] * e[b];
                }
            }
        }
        double[][] out = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int comp = 0; comp < 2; comp++) {
                double p = 0;
                for (int j = 0; j < d; j++) {
                    p += (x[i][j] - mean[j]) * axes[comp][j];
                }
                out[i][comp] = p;
            }
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Words only: tokens that start with a letter. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String t : Tokenizer.words().tokenize(text)) {
            if (Character.isLetter(t.codePointAt(0))) {
                out.add(t);
            }
        }
        return out;
    }

    static void run() throws Exception {
        Settings s = Settings.fromProperties();
        String file = System.getProperty("cbow.file", KingJamesBible.DEBIAN_FILE);
        List<String> words = words(KingJamesBible.load(Path.of(file)).text());
        System.out.printf("The King James Bible: %,d words. CBOW with negative sampling: %d context words on each side, "
                        + "%d negatives, vectors of %d, batches of %d, Adam lr %s, %d epochs%n", words.size(),
                s.window(), s.negatives(), s.dim(), s.batch(), s.lr(), s.epochs());
        Embeddings e = train(words, s, true);
        System.out.printf("%,d words kept (seen at least %d times), %,d examples an epoch after subsampling, %.0f s%n",
                e.vocab().size() - 1, s.minCount(), e.examplesPerEpoch(), e.seconds());
        System.out.println("Nearest neighbours by cosine of the input vectors (related words should come first: "
                + "names of God with god, rulers with king, ...):");
        for (String w : new String[] {"god", "king", "water", "son", "day", "gold", "jerusalem", "sword"}) {
            if (e.vocab().contains(w)) {
                System.out.printf("  %-10s %s%n", w, String.join(", ", e.nearest(w, 6)));
            }
        }
        Path dir = Path.of("target", "cbow");
        int top = Math.min(100, e.vocab().size() - 1);
        double[] eigen = new double[2];
        double[][] points = scatter(e, top, s.seed(), dir, eigen);
        System.out.printf("The %d most frequent words on the first two principal components (variances %.4f, %.4f): "
                + "%s (and .svg)%n", top, eigen[0], eigen[1], dir.resolve("words.png"));
        if (points.length == 0) {
            System.out.println("(no words to draw)");
        }
    }

    /** Draws the {@code top} most frequent words at their first two principal components; returns the points. */
    static double[][] scatter(Embeddings e, int top, long seed, Path dir, double[] eigen) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        double[][] x = new double[top][];
        for (int i = 0; i < top; i++) {
            x[i] = e.unit()[i + 1]; // index 0 is the unknown word; then by count
        }
        double[][] p = top == 0 ? new double[0][2] : pca2(x, seed, eigen);
        XYChart chart = new XYChartBuilder().width(1000).height(800)
                .title("CBOW vectors of the " + top + " most frequent KJV words, first two principal components")
                .xAxisTitle("PC 1").yAxisTitle("PC 2").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(5);
        double[] xs = new double[top];
        double[] ys = new double[top];
        for (int i = 0; i < top; i++) {
            xs[i] = p[i][0];
            ys[i] = p[i][1];
        }
        if (top > 0) {
            chart.addSeries("words", xs, ys).setMarker(SeriesMarkers.CIRCLE).setMarkerColor(new Color(70, 110, 180));
            for (int i = 0; i < top; i++) {
                chart.addAnnotation(new AnnotationText(e.vocab().token(i + 1), xs[i], ys[i], false));
            }
        }
        Path base = dir.resolve("words");
        BitmapEncoder.saveBitmap(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return p;
    }
}
