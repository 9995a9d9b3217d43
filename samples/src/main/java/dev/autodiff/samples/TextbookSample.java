package dev.autodiff.samples;

import dev.autodiff.Graph;
import dev.autodiff.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The textbook example: f(x; w, b) = 1/(exp(-(wx+b))+1) at x = 1, w = 0, b = 0. By hand:
 * f = 1/2 and df/dw = x f (1 - f) = 1/4, df/db = f (1 - f) = 1/4.
 */
final class TextbookSample {
    private TextbookSample() {}

    static void run() throws Exception {
        Tensor x = Tensor.scalar(1.0);
        Tensor w = Tensor.scalar(0.0).requiresGrad();
        Tensor b = Tensor.scalar(0.0).requiresGrad();
        Tensor f = w.mul(x).add(b).neg().exp().add(1.0).reciprocal();

        Graph graph = Graph.of(f).name(x, "x").name(w, "w").name(b, "b");
        f.backward();

        System.out.println("f = " + f.item());
        System.out.println("graph (after backward):");
        System.out.print(graph);
        System.out.printf("df/dw = %s   (by hand: x f (1-f) = 0.25)%n", w.grad().item());
        System.out.printf("df/db = %s   (by hand: f (1-f) = 0.25)%n", b.grad().item());

        double eps = 1e-6;
        double numeric = (sigmoid(eps * 1.0) - sigmoid(-eps * 1.0)) / (2 * eps);
        System.out.printf("df/dw by central differences: %.12f%n", numeric);

        Path dot = Path.of("target", "textbook.dot");
        Files.createDirectories(dot.getParent());
        Files.writeString(dot, graph.toDot());
        System.out.println("DOT graph written to " + dot.toAbsolutePath() + "  (render: dot -Tpng -O " + dot + ")");
    }

    private static double sigmoid(double z) {
        return 1 / (Math.exp(-z) + 1);
    }
}
