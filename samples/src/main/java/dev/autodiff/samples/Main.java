package dev.autodiff.samples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lists and runs the samples. With no argument it runs the default tour (no data, no extra install);
 * {@code list} lists every sample; otherwise each argument names a sample to run.
 */
public final class Main {
    /** A runnable story. */
    interface Sample {
        void run() throws Exception;
    }

    private record Entry(String description, boolean inTour, Sample sample) {}

    private static final Map<String, Entry> SAMPLES = new LinkedHashMap<>();

    static {
        SAMPLES.put("textbook", new Entry("f(x; w, b) = 1/(exp(-(wx+b))+1): every step, its gradient and local derivatives",
                true, TextbookSample::run));
        SAMPLES.put("higher-order", new Entry("derivatives of tanh up to order 4 by grad of grad, against closed forms",
                true, HigherOrderSample::run));
        SAMPLES.put("regression", new Entry("least-squares fit of a noisy line by gradient descent on tensors",
                true, RegressionSample::run));
        SAMPLES.put("forward-vs-reverse", new Entry("Jacobians and gradients by forward, batched forward and reverse mode; "
                + "charts of the crossover (about 2 minutes)", false, ForwardVsReverseSample::run));
        SAMPLES.put("fashion-mnist", new Entry("MLP 784-256-10 with Adam on Fashion-MNIST, 3 epochs, test accuracy "
                + "(needs apt-get install dataset-fashion-mnist)", false, FashionMnistSample::run));
        SAMPLES.put("char-rnn", new Entry("character-level Elman RNN and LSTM language models of the King James Bible, "
                + "truncated BPTT, loss chart and samples (needs apt-get install bible-kjv-text)", false,
                CharRnnSample::run));
        SAMPLES.put("cbow", new Entry("CBOW word embeddings of the King James Bible with negative sampling: nearest "
                + "neighbours and a labelled 2-D projection (needs apt-get install bible-kjv-text)", false,
                CbowSample::run));
    }

    private Main() {}

    public static void main(String[] args) throws Exception {
        List<String> names = new ArrayList<>();
        for (String a : args) {
            if (!a.isBlank()) {
                names.add(a.trim());
            }
        }
        if (names.equals(List.of("list"))) {
            SAMPLES.forEach((name, e) -> System.out.printf("%-14s %s%s%n", name, e.description(), e.inTour() ? " (tour)" : ""));
            return;
        }
        if (names.isEmpty()) {
            SAMPLES.forEach((name, e) -> {
                if (e.inTour()) {
                    names.add(name);
                }
            });
        }
        for (String name : names) {
            if (!SAMPLES.containsKey(name)) {
                System.err.println("unknown sample '" + name + "'; available: " + String.join(", ", SAMPLES.keySet()));
                System.exit(2);
            }
        }
        for (String name : names) {
            System.out.println("==== " + name + ": " + SAMPLES.get(name).description());
            SAMPLES.get(name).sample().run();
            System.out.println();
        }
    }
}
