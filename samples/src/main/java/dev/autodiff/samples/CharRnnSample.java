package dev.autodiff.samples;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Embedding;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.data.KingJamesBible;
import dev.autodiff.nn.data.Tokenizer;
import dev.autodiff.nn.data.Vocabulary;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Clipping;
import dev.autodiff.nn.rnn.Cell;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import dev.autodiff.nn.rnn.RnnCell;
import dev.autodiff.nn.rnn.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A character-level language model of the King James Bible (Elman's RNN language model of the SJTU lecture, and
 * an LSTM beside it): each character is embedded, the cell reads the embeddings in order, and a linear layer turns
 * each hidden state into logits for the next character; the loss is the mean cross-entropy in nats, and its
 * exponential the perplexity (a uniform guess over the V characters has log V and V).
 *
 * <p>Training is truncated backpropagation through time: the text is cut into {@code batch} contiguous streams
 * read side by side, {@code bptt} characters at a time; the state at the end of one window starts the next one
 * (so the model sees long context), but detached, so each backward pass goes back only through its own window.
 *
 * <p>Settings ({@code -Dcharrnn.NAME=value} on the java command line): {@code steps} windows per model (600),
 * {@code hidden} (128), {@code embed} (32), {@code batch} (32), {@code bptt} (48), {@code lr} (Adam, 0.005),
 * {@code every} (steps between reports and samples, 100), {@code sample} (characters sampled, 200),
 * {@code seed} (1), {@code file} (an EC02 file; default /usr/lib/bible.data from apt-get install bible-kjv-text).
 */
final class CharRnnSample {
    private CharRnnSample() {}

    /** The sizes of one run. */
    record Settings(int steps, int hidden, int embed, int batch, int bptt, double lr, int every, int sampleLength,
                    long seed) {
        static Settings fromProperties() {
            return new Settings(Integer.getInteger("charrnn.steps", 600), Integer.getInteger("charrnn.hidden", 128),
                    Integer.getInteger("charrnn.embed", 32), Integer.getInteger("charrnn.batch", 32),
                    Integer.getInteger("charrnn.bptt", 48), Double.parseDouble(System.getProperty("charrnn.lr", "0.005")),
                    Integer.getInteger("charrnn.every", 100), Integer.getInteger("charrnn.sample", 200),
                    Long.getLong("charrnn.seed", 1));
        }
    }

    /** Embedding -> cell -> linear head; {@code lstm} picks the cell. */
    static final class Model {
        final String name;
        final Embedding embedding;
        final Cell cell;
        final Linear head;
        final List<Tensor> params = new ArrayList<>();

        Model(boolean lstm, int vocab, int embed, int hidden, long seed) {
            name = lstm ? "LSTM" : "Elman RNN";
            embedding = new Embedding(vocab, embed, seed);
            cell = lstm ? new LstmCell(embed, hidden, seed + 10) : new RnnCell(embed, hidden, seed + 10);
            head = new Linear(hidden, vocab, seed + 20);
            params.addAll(embedding.parameters().values());
            params.addAll(cell.parameters().values());
            params.addAll(head.parameters().values());
        }

        /** The loss of one window and the state after it (still attached to this window's graph). */
        Window window(int[] inputs, int[] targets, int steps, int batch, State initial) {
            Tensor xs = embedding.lookup(inputs, steps, batch);                     // (T, N, E)
            Recurrent.Result r = Recurrent.unroll(cell, xs, initial);
            Tensor logits = head.forward(r.stacked().reshape(steps * batch, cell.hiddenSize())); // (T N, V)
            return new Window(Losses.crossEntropy(logits, targets), r.last());
        }

        /** The logits (V) after reading one character from {@code state}, and the new state. */
        State stepOne(int c, State state, double[] logitsOut) {
            State s = cell.step(embedding.lookup(new int[] {c}, 1), state);
            System.arraycopy(head.forward(s.h()).toArray(), 0, logitsOut, 0, logitsOut.length);
            return s;
        }
    }

    record Window(Tensor loss, State last) {}

    /** The state with its tensors cut from the graph: the next window starts here but backpropagates no further. */
    static State detach(State s) {
        return s.c() == null ? State.of(s.h().detach()) : new State(s.h().detach(), s.c().detach());
    }

    /**
     * The text as {@code batch} streams read side by side: window k holds characters [k T, (k + 1) T) of every
     * stream, time-major ((t, b) at t N + b), and its targets are the characters one further.
     */
    static final class Batches {
        final int[] ids;
        final int batch;
        final int bptt;
        final int streamLength;

        Batches(int[] ids, int batch, int bptt) {
            this.ids = ids;
            this.batch = batch;
            this.bptt = bptt;
            this.streamLength = (ids.length - 1) / batch;
            if (streamLength < bptt) {
                throw new IllegalArgumentException("char-rnn: a text of " + ids.length + " characters is too short for "
                        + batch + " streams of windows of " + bptt);
            }
        }

        int windows() {
            return streamLength / bptt;
        }

        /** Window k mod windows(): inputs and targets, each T N. */
        int[][] window(int k) {
            int start = (k % windows()) * bptt;
            int[] in = new int[bptt * batch];
            int[] out = new int[bptt * batch];
            for (int t = 0; t < bptt; t++) {
                for (int b = 0; b < batch; b++) {
                    int at = b * streamLength + start + t;
                    in[t * batch + b] = ids[at];
                    out[t * batch + b] = ids[at + 1];
                }
            }
            return new int[][] {in, out};
        }
    }

    /**
     * What one model's training gives: the mean training loss of every tenth of a report interval (the chart's
     * points), a sample at each report, the held-out loss.
     */
    record Run(Model trained, String model, List<Integer> steps, List<Double> losses, List<String> samples,
               double heldOutLoss, double seconds) {}

    /** Trains a fresh model on {@code train}, reporting every {@code s.every()} steps, and scores it on {@code heldOut}. */
    static Run train(boolean lstm, int[] train, int[] heldOut, Vocabulary vocab, Settings s, String prime,
                     boolean print) {
        return train(lstm, train, heldOut, vocab, s, prime, print, (step, m) -> { });
    }

    /** As above, also handing the model to {@code onReport} at every report (to score it on the way). */
    static Run train(boolean lstm, int[] train, int[] heldOut, Vocabulary vocab, Settings s, String prime,
                     boolean print, java.util.function.ObjIntConsumer<Model> onReport) {
        long t0 = System.nanoTime();
        Model m = new Model(lstm, vocab.size(), s.embed(), s.hidden(), s.seed());
        Adam adam = new Adam(m.params, s.lr());
        Batches data = new Batches(train, s.batch(), s.bptt());
        State state = m.cell.initialState(s.batch());
        List<Integer> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<String> samples = new ArrayList<>();
        int pointEvery = Math.max(1, s.every() / 10);
        double sum = 0;
        int n = 0;
        double pointSum = 0;
        int pointN = 0;
        for (int step = 1; step <= s.steps(); step++) {
            if ((step - 1) % data.windows() == 0) {
                state = m.cell.initialState(s.batch()); // a new pass over the text starts from zeros
            }
            int[][] w = data.window(step - 1);
            Window out = m.window(w[0], w[1], s.bptt(), s.batch(), state);
            adam.zeroGrad();
            out.loss().backward();
            Clipping.clipGradNorm(m.params, 5.0); // exploding gradients through T steps are cut to norm 5
            adam.step();
            state = detach(out.last());
            double l = out.loss().item();
            sum += l;
            n++;
            pointSum += l;
            pointN++;
            if (step % pointEvery == 0 || step == s.steps()) {
                steps.add(step);
                losses.add(pointSum / pointN);
                pointSum = 0;
                pointN = 0;
            }
            if (step % s.every() == 0 || step == s.steps()) {
                double mean = sum / n;
                String text = sample(m, vocab, prime, s.sampleLength(), s.seed() + step, 0.8);
                samples.add(text);
                if (print) {
                    System.out.printf("%-9s step %5d  loss %.3f nats  perplexity %6.2f  (%.0f s)%n", m.name, step, mean,
                            Math.exp(mean), (System.nanoTime() - t0) / 1e9);
                    System.out.println("    " + prime + text.replace("\n", "\n    "));
                }
                sum = 0;
                n = 0;
                onReport.accept(m, step);
            }
        }
        double held = heldOut == null ? Double.NaN : evaluate(m, heldOut, s);
        return new Run(m, m.name, steps, losses, samples, held, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean cross-entropy on a text the model did not train on, read as in training (state carried), no graph. */
    static double evaluate(Model m, int[] ids, Settings s) {
        Batches data = new Batches(ids, s.batch(), s.bptt());
        double sum = 0;
        try (GradScope g = Autodiff.noGrad()) {
            State state = m.cell.initialState(s.batch());
            for (int k = 0; k < data.windows(); k++) {
                int[][] w = data.window(k);
                Window out = m.window(w[0], w[1], s.bptt(), s.batch(), state);
                sum += out.loss().item();
                state = out.last();
            }
        }
        return sum / data.windows();
    }

    /**
     * {@code length} characters drawn one at a time from softmax(logits / temperature), after reading
     * {@code prime}; the same seed gives the same text.
     */
    static String sample(Model m, Vocabulary vocab, String prime, int length, long seed, double temperature) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] logits = new double[vocab.size()];
        StringBuilder out = new StringBuilder();
        try (GradScope g = Autodiff.noGrad()) {
            State state = m.cell.initialState(1);
            int[] primeIds = vocab.encode(Tokenizer.characters().tokenize(prime));
            int c = primeIds.length == 0 ? vocab.index("\n") : primeIds[0];
            for (int i = 1; i < primeIds.length; i++) {
                state = m.stepOne(c, state, logits);
                c = primeIds[i];
            }
            for (int i = 0; i < length; i++) {
                state = m.stepOne(c, state, logits);
                c = draw(logits, temperature, random);
                out.append(vocab.token(c));
            }
        }
        return out.toString();
    }

    /** An index drawn with probability softmax(logits / temperature). */
    static int draw(double[] logits, double temperature, SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            total += p[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return p.length - 1;
    }

    static void run() throws Exception {
        Settings s = Settings.fromProperties();
        CharCorpus corpus = CharCorpus.kingJamesBible("char-rnn",
                System.getProperty("charrnn.file", KingJamesBible.DEBIAN_FILE));
        if (corpus == null) {
            return;
        }
        Vocabulary vocab = corpus.vocab();
        int[] train = corpus.train();
        int[] heldOut = corpus.heldOut();
        corpus.print();
        System.out.printf("Each model: %d windows of %d streams x %d characters (%,d characters, %.1f%% of the text), "
                + "hidden %d, embedding %d, Adam lr %s, gradient norm clipped at 5%n", s.steps(), s.batch(), s.bptt(),
                (long) s.steps() * s.batch() * s.bptt(), 100.0 * s.steps() * s.batch() * s.bptt() / train.length,
                s.hidden(), s.embed(), s.lr());
        System.out.println("The loss should fall from about log V towards 1.5 nats; the samples (temperature 0.8, "
                + "seeded) go from noise to words and the Bible's cadence.");
        String prime = "And ";
        List<Run> runs = new ArrayList<>();
        for (boolean lstm : new boolean[] {false, true}) {
            runs.add(train(lstm, train, heldOut, vocab, s, prime, true));
        }
        System.out.printf("%n%-10s %14s %14s %16s %10s%n", "model", "last train", "held-out loss", "held-out perpl.",
                "seconds");
        for (Run r : runs) {
            System.out.printf("%-10s %14.3f %14.3f %16.2f %10.1f%n", r.model(), lastMean(r, s.every()),
                    r.heldOutLoss(), Math.exp(r.heldOutLoss()), r.seconds());
        }
        Path dir = Path.of("target", "char-rnn");
        chart(runs, Math.log(vocab.size()), dir);
        System.out.println("Chart: " + dir.resolve("loss.png") + " (and .svg)");
    }

    /** The mean training loss over the last report interval (its ten chart points, or fewer). */
    static double lastMean(Run r, int every) {
        int points = Math.min(r.losses().size(), Math.max(1, Math.min(10, every)));
        double sum = 0;
        for (int i = r.losses().size() - points; i < r.losses().size(); i++) {
            sum += r.losses().get(i);
        }
        return sum / points;
    }

    static void chart(Collection<Run> runs, double uniform, Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        XYChart c = new XYChartBuilder().width(800).height(520).title("char-rnn on the King James Bible: training loss")
                .xAxisTitle("window (truncated-BPTT step)").yAxisTitle("mean cross-entropy per character (nats)").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        int last = 1;
        for (Run r : runs) {
            c.addSeries(r.model(), r.steps(), r.losses()).setMarker(SeriesMarkers.NONE);
            last = Math.max(last, r.steps().get(r.steps().size() - 1));
        }
        c.addSeries("uniform guess, log V", List.of(0, last), List.of(uniform, uniform)).setMarker(SeriesMarkers.NONE);
        Path base = dir.resolve("loss");
        BitmapEncoder.saveBitmap(c, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(c, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
