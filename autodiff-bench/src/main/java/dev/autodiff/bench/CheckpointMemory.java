package dev.autodiff.bench;

import dev.autodiff.Autodiff;
import dev.autodiff.Fn;
import dev.autodiff.Tensor;
import java.util.Arrays;

/**
 * Memory kept by the graph of a deep MLP between forward and backward, with and without {@link Autodiff#checkpoint}
 * per layer or per 4-layer segment (not a JMH benchmark: it measures retained heap, not time). 32 layers of width 512 (tanh), batch 256,
 * float64: the heap after a full GC with the loss (and so its graph) alive, minus the heap before the forward.
 * Also checks that both give the same gradients, bit for bit, and prints the time of one forward + backward.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp autodiff-bench/target/benchmarks.jar
 * dev.autodiff.bench.CheckpointMemory}
 */
public final class CheckpointMemory {
    private CheckpointMemory() {}

    static final int LAYERS = 32;
    static final int WIDTH = 512;
    static final int BATCH = 256;

    public static void main(String[] args) {
        Tensor[] w = new Tensor[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            w[l] = Tensor.randn(l, WIDTH, WIDTH).mul(1.0 / Math.sqrt(WIDTH)).detach().requiresGrad();
        }
        Tensor x = Tensor.randn(99, BATCH, WIDTH);
        Fn layer = xs -> xs[0].matmul(xs[1]).tanh();
        Fn checkpointed = Autodiff.checkpoint(layer);
        Fn segment = Autodiff.checkpoint(xs -> { // four layers in one checkpoint: xs = h, w1..w4
            Tensor h = xs[0];
            for (int k = 1; k <= 4; k++) {
                h = h.matmul(xs[k]).tanh();
            }
            return h;
        });
        String[] names = {"plain", "each layer", "4-layer segments"};
        double[][] grads = new double[3][];
        for (int round = 0; round < 3; round++) { // the last round's figures; the first ones warm up
            for (int mode = 0; mode < 3; mode++) {
                Fn f = mode == 0 ? layer : checkpointed;
                long before = usedAfterGc();
                long t0 = System.nanoTime();
                Tensor h = x;
                for (int l = 0; l < LAYERS; l += mode == 2 ? 4 : 1) {
                    h = mode == 2 ? segment.apply(new Tensor[] {h, w[l], w[l + 1], w[l + 2], w[l + 3]})
                            : f.apply(new Tensor[] {h, w[l]});
                }
                Tensor loss = h.square().sum();
                long kept = usedAfterGc() - before;
                Tensor[] g = Autodiff.grad(loss, w);
                double ms = (System.nanoTime() - t0) / 1e6;
                grads[mode] = g[0].toArray();
                if (round == 2) {
                    System.out.printf("%-18s graph kept %7.1f MB between forward and backward; forward + backward %.0f ms%n",
                            names[mode], kept / 1e6, ms);
                }
                if (loss.item() == 42) { // keeps the loss (and its graph) reachable until after the measurement
                    System.out.print("");
                }
            }
        }
        System.out.println("first layer's gradients equal bit for bit: " + (Arrays.equals(grads[0], grads[1])
                && Arrays.equals(grads[0], grads[2])));
        System.out.printf("one layer's activations: %.1f MB (batch x width doubles)%n", BATCH * WIDTH * 8 / 1e6);
    }

    private static long usedAfterGc() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return r.totalMemory() - r.freeMemory();
    }
}
