package dev.autodiff.samples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lists and runs the samples. With no argument it runs the default tour (no data, no extra install);
 * {@code list} lists every sample; otherwise each argument names a sample to run, and a {@code key=value} argument
 * sets a sample's setting (a system property such as {@code fashion.epochs=1}), so that
 * {@code mvn ... exec:exec -Dsample="fashion-mnist fashion.epochs=1"} reaches the sample's JVM.
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
        SAMPLES.put("fashion-mnist", new Entry("MLP 784-256-10 with Adam on Fashion-MNIST, 3 epochs, test accuracy "
                + "(needs apt-get install dataset-fashion-mnist)", false, FashionMnistSample::run));
        SAMPLES.put("lenet", new Entry("LeNet-5 on Fashion-MNIST with the Trainer: progress, history, confusion matrix, "
                + "filters and mistakes as pictures (needs dataset-fashion-mnist)", false, LeNetSample::run));
        SAMPLES.put("vanishing-gradients", new Entry("gradient size per layer: sigmoid against tanh, ReLU, residual, batch norm; "
                + "the Tsinghua lecture's 6-layer chain", false, VanishingGradientsSample::run));
        SAMPLES.put("optimizers", new Entry("SGD, momentum, Nesterov, AdaGrad, RMSProp, AdaDelta and Adam on the Rosenbrock "
                + "valley: paths on a contour plot, a table, and the learning-rate schedules", false, OptimizersSample::run));
        SAMPLES.put("initialization", new Entry("zero, normal, Xavier and He init in 20-layer tanh and ReLU stacks: "
                + "activation and gradient std per layer, charts", false, InitializationSample::run));
        SAMPLES.put("regularization", new Entry("an MLP over-fitting 1,000 Fashion-MNIST images, trained plain, with L2, "
                + "dropout and early stopping (needs apt-get install dataset-fashion-mnist)", false, RegularizationSample::run));
        SAMPLES.put("char-rnn", new Entry("character-level Elman RNN and LSTM language models of the King James Bible, "
                + "truncated BPTT, loss chart and samples (needs apt-get install bible-kjv-text)", false,
                CharRnnSample::run));
        SAMPLES.put("transformer", new Entry("a causal (decoder-only) transformer language model of the King James Bible "
                + "at character level against char-rnn's LSTM on the same budget: held-out curves, sample (needs "
                + "bible-kjv-text)", false, TransformerSample::run));
        SAMPLES.put("cbow", new Entry("CBOW word embeddings of the King James Bible with negative sampling: nearest "
                + "neighbours and a labelled 2-D projection (needs apt-get install bible-kjv-text)", false,
                CbowSample::run));
        SAMPLES.put("backprop-by-hand", new Entry("the SJTU lecture's 2-2-1 sigmoid network: one step by hand and by autodiff, "
                + "and the lecture's slip", false, BackpropByHandSample::run));
        SAMPLES.put("spark-fashion-mnist", new Entry("the fashion-mnist MLP trained data-parallel on Spark local[1] and local[2], "
                + "per-step jobs and a barrier all-reduce: throughput, scaling, equality with one machine, inference over a "
                + "DataFrame (needs apt-get install dataset-fashion-mnist)", false, SparkFashionMnistSample::run));
        SAMPLES.put("forward-vs-reverse", new Entry("Jacobians and gradients by forward, batched forward and reverse mode; "
                + "charts of the crossover (about 2 minutes)", false, ForwardVsReverseSample::run));
    }

    private Main() {}

    public static void main(String[] args) throws Exception {
        List<String> names = new ArrayList<>();
        for (String a : args) {
            // Maven's exec:exec passes -Dsample="..." as one argument: split it; key=value sets a sample's setting
            for (String word : a.trim().split("\\s+")) {
                if (word.contains("=")) {
                    System.setProperty(word.substring(0, word.indexOf('=')), word.substring(word.indexOf('=') + 1));
                } else if (!word.isEmpty()) {
                    names.add(word);
                }
            }
        }
        if (names.equals(List.of("list"))) {
            SAMPLES.forEach((name, e) -> System.out.printf("%-20s %s%s%n", name, e.description(), e.inTour() ? " (tour)" : ""));
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
