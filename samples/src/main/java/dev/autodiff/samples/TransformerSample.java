package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Embedding;
import dev.autodiff.nn.LayerNorm;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.attention.AttentionMask;
import dev.autodiff.nn.attention.SinusoidalPositionalEncoding;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import dev.autodiff.nn.data.KingJamesBible;
import dev.autodiff.nn.data.Tokenizer;
import dev.autodiff.nn.data.Vocabulary;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Clipping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A decoder-only (causal) transformer language model of the King James Bible at character level, beside char-rnn's
 * LSTM: embedding + sinusoidal positional encoding, pre-norm TransformerEncoderLayer blocks whose self-attention
 * carries the causal mask (position t sees positions <= t only), a final LayerNorm (as GPT-2's after pre-norm
 * blocks) and a linear head to next-character logits. Same corpus split, windows (char-rnn's {@code Batches}: batch
 * streams, context = char-rnn's bptt), Adam, clipping at norm 5 and step budget as char-rnn; unlike the LSTM, which
 * carries its state from one window to the next, each window is a context of its own (at most bptt characters back).
 *
 * <p>Settings ({@code -Dtransformer.NAME=value}): {@code steps} (600), {@code batch} (32), {@code context} (48),
 * {@code lr} (0.005) (all four default to char-rnn's {@code -Dcharrnn.*} values), {@code dmodel} (64), {@code heads}
 * (4), {@code layers} (2), {@code ff} (256), {@code every} (steps between held-out scores, 100), {@code sample} (200),
 * {@code seed} (1), {@code lstm} (true: also train char-rnn's LSTM on the same budget), {@code file}.
 */
final class TransformerSample {
    private TransformerSample() {}

    record Settings(int steps, int batch, int context, double lr, int dModel, int heads, int layers, int ff, int every,
                    int sampleLength, long seed) {
        static Settings fromProperties() {
            CharRnnSample.Settings c = CharRnnSample.Settings.fromProperties();
            return new Settings(Integer.getInteger("transformer.steps", c.steps()),
                    Integer.getInteger("transformer.batch", c.batch()),
                    Integer.getInteger("transformer.context", c.bptt()),
                    Double.parseDouble(System.getProperty("transformer.lr", Double.toString(c.lr()))),
                    Integer.getInteger("transformer.dmodel", 64), Integer.getInteger("transformer.heads", 4),
                    Integer.getInteger("transformer.layers", 2), Integer.getInteger("transformer.ff", 256),
                    Integer.getInteger("transformer.every", c.every()), Integer.getInteger("transformer.sample", 200),
                    Long.getLong("transformer.seed", 1));
        }

        /** char-rnn's settings (its hidden and embedding sizes) on this run's budget: steps, batch, context, lr. */
        CharRnnSample.Settings lstmSettings() {
            CharRnnSample.Settings c = CharRnnSample.Settings.fromProperties();
            return new CharRnnSample.Settings(steps, c.hidden(), c.embed(), batch, context, lr, every, sampleLength, seed);
        }
    }

    static final class Model {
        final int context;
        final int dModel;
        final Embedding embedding;
        final SinusoidalPositionalEncoding position;
        final List<TransformerEncoderLayer> blocks = new ArrayList<>();
        final LayerNorm norm;
        final Linear head;
        final List<Tensor> params = new ArrayList<>();

        Model(int vocab, Settings s, long seed) {
            if (s.dModel() % s.heads() != 0) {
                throw new IllegalArgumentException("transformer: dmodel " + s.dModel() + " is not a multiple of heads "
                        + s.heads());
            }
            context = s.context();
            dModel = s.dModel();
            embedding = new Embedding(vocab, dModel, seed);
            position = new SinusoidalPositionalEncoding(dModel, context, false);
            for (int i = 0; i < s.layers(); i++) {
                // dropout 0: the budget is far too short to overfit; pre-norm (normFirst), sequence first (S, N, E)
                blocks.add(new TransformerEncoderLayer(dModel, s.heads(), s.ff(), 0.0, "relu", 1e-5, false, true,
                        seed + 100 * (i + 1)));
            }
            norm = new LayerNorm(dModel);
            head = new Linear(dModel, vocab, seed + 20);
            params.addAll(embedding.parameters().values());
            blocks.forEach(b -> params.addAll(b.parameters().values()));
            params.addAll(norm.parameters().values());
            params.addAll(head.parameters().values());
        }

        /** Logits (T N, V) for ids time-major (t, n) at t N + n; row t N + n sees ids (0..t, n) only. */
        Tensor logits(int[] ids, int steps, int batch) {
            Tensor x = position.forward(embedding.lookup(ids, steps, batch));          // (T, N, d)
            AttentionMask causal = AttentionMask.causal(steps, steps);
            for (TransformerEncoderLayer b : blocks) {
                x = b.forward(x, causal, null);
            }
            return head.forward(norm.forward(x).reshape(steps * batch, dModel));
        }

        Tensor loss(int[] inputs, int[] targets, int steps, int batch) {
            return Losses.crossEntropy(logits(inputs, steps, batch), targets);
        }
    }

    /** Held-out loss (nats per character) after each report interval, and one sample per report. */
    record Run(Model trained, List<Integer> steps, List<Double> heldOut, List<Double> trainLoss, List<String> samples,
               double seconds) {}

    static Run train(int[] train, int[] heldOut, Vocabulary vocab, Settings s, String prime, boolean print) {
        long t0 = System.nanoTime();
        Model m = new Model(vocab.size(), s, s.seed());
        Adam adam = new Adam(m.params, s.lr());
        CharRnnSample.Batches data = new CharRnnSample.Batches(train, s.batch(), s.context());
        List<Integer> steps = new ArrayList<>();
        List<Double> held = new ArrayList<>();
        List<Double> trainLoss = new ArrayList<>();
        List<String> samples = new ArrayList<>();
        double sum = 0;
        int n = 0;
        for (int step = 1; step <= s.steps(); step++) {
            int[][] w = data.window(step - 1);
            Tensor loss = m.loss(w[0], w[1], s.context(), s.batch());
            adam.zeroGrad();
            loss.backward();
            Clipping.clipGradNorm(m.params, 5.0);
            adam.step();
            sum += loss.item();
            n++;
            if (step % s.every() == 0 || step == s.steps()) {
                double h = heldOut == null ? Double.NaN : evaluate(m, heldOut, s);
                steps.add(step);
                held.add(h);
                trainLoss.add(sum / n);
                String text = sample(m, vocab, prime, s.sampleLength(), s.seed() + step, 0.8);
                samples.add(text);
                if (print) {
                    System.out.printf("Transformer step %5d  train %.3f  held-out %.3f nats = %.3f bits/char  (%.0f s)%n",
                            step, sum / n, h, h / Math.log(2), (System.nanoTime() - t0) / 1e9);
                }
                sum = 0;
                n = 0;
            }
        }
        return new Run(m, steps, held, trainLoss, samples, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean cross-entropy over char-rnn's windows of {@code ids}, each window its own context; no graph. */
    static double evaluate(Model m, int[] ids, Settings s) {
        CharRnnSample.Batches data = new CharRnnSample.Batches(ids, s.batch(), s.context());
        double sum = 0;
        try (GradScope g = Autodiff.noGrad()) {
            for (int k = 0; k < data.windows(); k++) {
                int[][] w = data.window(k);
                sum += m.loss(w[0], w[1], s.context(), s.batch()).item();
            }
        }
        return sum / data.windows();
    }

    /**
     * {@code length} characters after {@code prime}, each drawn (char-rnn's draw) from the logits at the last position
     * of the latest {@code context} characters; the same seed gives the same text.
     */
    static String sample(Model m, Vocabulary vocab, String prime, int length, long seed, double temperature) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] primeIds = vocab.encode(Tokenizer.characters().tokenize(prime));
        List<Integer> seq = new ArrayList<>();
        if (primeIds.length == 0) {
            seq.add(vocab.index("\n"));
        }
        for (int id : primeIds) {
            seq.add(id);
        }
        StringBuilder out = new StringBuilder();
        int v = vocab.size();
        try (GradScope g = Autodiff.noGrad()) {
            for (int i = 0; i < length; i++) {
                int from = Math.max(0, seq.size() - m.context);
                int[] window = seq.subList(from, seq.size()).stream().mapToInt(Integer::intValue).toArray();
                double[] all = m.logits(window, window.length, 1).toArray();
                double[] last = Arrays.copyOfRange(all, (window.length - 1) * v, window.length * v);
                int c = CharRnnSample.draw(last, temperature, random);
                seq.add(c);
                out.append(vocab.token(c));
            }
        }
        return out.toString();
    }

    static void run() throws Exception {
        Settings s = Settings.fromProperties();
        CharCorpus corpus = CharCorpus.kingJamesBible("transformer",
                System.getProperty("transformer.file", KingJamesBible.DEBIAN_FILE));
        if (corpus == null) {
            return;
        }
        corpus.print();
        Vocabulary vocab = corpus.vocab();
        double uniform = Math.log(vocab.size());
        System.out.printf("Transformer: %d pre-norm blocks, d_model %d, %d heads, feed-forward %d, causal mask, context "
                        + "%d; %d steps of %d windows, Adam lr %s, gradient norm clipped at 5 (char-rnn's budget)%n",
                s.layers(), s.dModel(), s.heads(), s.ff(), s.context(), s.steps(), s.batch(), s.lr());
        String prime = "And ";
        Run t = train(corpus.train(), corpus.heldOut(), vocab, s, prime, true);
        System.out.printf("Transformer: %d parameters, %.1f s%n", t.trained().params.stream().mapToInt(Tensor::size).sum(),
                t.seconds());

        List<Double> lstmHeld = new ArrayList<>();
        double lstmSeconds = Double.NaN;
        if (Boolean.parseBoolean(System.getProperty("transformer.lstm", "true"))) {
            CharRnnSample.Settings ls = s.lstmSettings();
            System.out.printf("char-rnn's LSTM (hidden %d, embedding %d) on the same budget, through its own training "
                    + "loop, scored on the same held-out windows (its state carried across them, as char-rnn does)%n",
                    ls.hidden(), ls.embed());
            CharRnnSample.Run lstm = CharRnnSample.train(true, corpus.train(), null, vocab, ls, prime, false,
                    (m, step) -> lstmHeld.add(CharRnnSample.evaluate(m, corpus.heldOut(), ls)));
            lstmSeconds = lstm.seconds();
        }

        System.out.printf("%nHeld-out loss (nats / bits per character; log V = %.3f nats = %.3f bits):%n%6s %20s %20s%n",
                uniform, uniform / Math.log(2), "step", "Transformer", "LSTM (char-rnn)");
        for (int i = 0; i < t.steps().size(); i++) {
            double a = t.heldOut().get(i);
            String lstm = i < lstmHeld.size()
                    ? String.format("%.3f / %.3f", lstmHeld.get(i), lstmHeld.get(i) / Math.log(2)) : "-";
            System.out.printf("%6d %20s %20s%n", t.steps().get(i), String.format("%.3f / %.3f", a, a / Math.log(2)), lstm);
        }
        System.out.printf("Seconds: transformer %.1f, LSTM %.1f. Look at the last row: which model is lower on text it "
                + "never trained on, for the same number of steps.%n", t.seconds(), lstmSeconds);
        System.out.println("\nSample from the transformer (temperature 0.8, seed " + (s.seed() + s.steps()) + "):");
        System.out.println("    " + prime + t.samples().get(t.samples().size() - 1).replace("\n", "\n    "));
        Path dir = Path.of("target", "transformer");
        chart(t, lstmHeld, uniform, dir);
        System.out.println("Chart: " + dir.resolve("heldout.png") + " (and .svg)");
    }

    static void chart(Run t, List<Double> lstmHeld, double uniform, Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        XYChart c = new XYChartBuilder().width(800).height(520)
                .title("King James Bible, character level: held-out loss").xAxisTitle("training step")
                .yAxisTitle("held-out cross-entropy (nats per character)").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        c.addSeries("causal transformer", t.steps(), t.heldOut());
        if (!lstmHeld.isEmpty()) {
            c.addSeries("LSTM (char-rnn)", t.steps().subList(0, lstmHeld.size()), lstmHeld);
        }
        int last = t.steps().get(t.steps().size() - 1);
        c.addSeries("uniform guess, log V", List.of(0, last), List.of(uniform, uniform)).setMarker(SeriesMarkers.NONE);
        Path base = dir.resolve("heldout");
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
