package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Sgd;
import dev.autodiff.nn.rnn.LstmCell;
import dev.autodiff.nn.rnn.Recurrent;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Small end-to-end trainings from fixed seeds: the layers, their gradients and the optimizers together. */
class TrainingTest {
    /** An LSTM counts the ones in a sequence of 6 bits: at least 95% of unseen sequences exactly right. */
    @Test
    void lstmLearnsToCountOnes() {
        int len = 6;
        SplittableRandom r = new SplittableRandom(3);
        double[][] train = bits(r, 256, len);
        double[][] test = bits(r, 200, len);
        LstmCell cell = new LstmCell(1, 12, 21);
        Linear head = new Linear(12, 1, 22);
        List<Tensor> params = new ArrayList<>(cell.parameters().values());
        params.addAll(head.parameters().values());
        Adam opt = new Adam(params, 0.03);
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Tensor pred = head.forward(Recurrent.last(cell, sequences(train)));
            Losses.mse(pred, counts(train)).backward();
            opt.step();
        }
        double[] pred = head.forward(Recurrent.last(cell, sequences(test))).toArray();
        double[] truth = counts(test).toArray();
        int right = 0;
        for (int i = 0; i < pred.length; i++) {
            right += Math.round(pred[i]) == truth[i] ? 1 : 0;
        }
        double accuracy = right / (double) pred.length;
        assertTrue(accuracy >= 0.95, "accuracy on unseen sequences: " + accuracy);
    }

    private static double[][] bits(SplittableRandom r, int n, int len) {
        double[][] b = new double[n][len];
        for (double[] row : b) {
            for (int t = 0; t < len; t++) {
                row[t] = r.nextBoolean() ? 1 : 0;
            }
        }
        return b;
    }

    /** (T, N, 1), time first. */
    private static Tensor sequences(double[][] b) {
        int n = b.length;
        int len = b[0].length;
        double[] d = new double[len * n];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < len; t++) {
                d[t * n + i] = b[i][t];
            }
        }
        return Tensor.fromArray(d, len, n, 1);
    }

    private static Tensor counts(double[][] b) {
        double[] c = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            for (double v : b[i]) {
                c[i] += v;
            }
        }
        return Tensor.fromArray(c, b.length, 1);
    }

    /**
     * Depth 20 (blocks of linear, sigmoid, linear), width 16, SGD: the plain MLP's early layers get gradients orders of magnitude
     * smaller than its last (sigmoid' <= 1/4 per layer), so it stalls; with residual connections the
     * gradient reaches every layer through the identity path, and the same training (SGD with momentum and
     * gradient clipping) fits.
     */
    @Test
    void residualMlpTrainsWherePlainSigmoidStalls() {
        Tensor x = Tensor.randn(31, 64, 16);
        // a smooth nonlinear target of two of the inputs
        Tensor y = x.slice(1, 0, 1).tanh().mul(1.5).add(x.slice(1, 1, 2).mul(0.5));
        Sequential plain = deep(false);
        Sequential residual = deep(true);
        double[] plainNorms = firstAndLastGradNorms(plain, x, y);
        double[] resNorms = firstAndLastGradNorms(residual, x, y);
        double plainLoss = train(plain, x, y);
        double resLoss = train(residual, x, y);
        double start = Losses.mse(Tensor.zeros(64, 1), y).item();
        String report = String.format("first/last layer gradient norm: plain %.3g / %.3g, residual %.3g / %.3g; "
                + "loss after training: plain %.4f, residual %.4f (predicting 0: %.4f)",
                plainNorms[0], plainNorms[1], resNorms[0], resNorms[1], plainLoss, resLoss, start);
        assertTrue(plainNorms[0] < 1e-4 * plainNorms[1], report);
        assertTrue(resNorms[0] > 0.01 * resNorms[1], report); // within two orders of magnitude, against 20 for plain
        assertTrue(resLoss < 0.5 * plainLoss, report);
    }

    private static Sequential deep(boolean residual) {
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // the usual residual block, x + W2 sigmoid(W1 x): ending in a linear layer keeps the branch centred
            Module block = new Sequential(new Linear(16, 16, 100 + 2 * i), new Lambda("sigmoid", Tensor::sigmoid),
                    new Linear(16, 16, 101 + 2 * i));
            layers.add(residual ? new Residual(block) : block);
        }
        layers.add(new Linear(16, 1, 200));
        return new Sequential(layers.toArray(new Module[0]));
    }

    private static double[] firstAndLastGradNorms(Sequential net, Tensor x, Tensor y) {
        net.zeroGrad();
        Losses.mse(net.forward(x), y).backward();
        List<Tensor> weights = new ArrayList<>();
        net.parameters().forEach((name, p) -> {
            if (name.endsWith("weight") && p.rank() == 2 && p.dim(0) == 16 && p.dim(1) == 16) {
                weights.add(p);
            }
        });
        double first = Math.sqrt(weights.get(0).grad().square().sum().item());
        double last = Math.sqrt(weights.get(weights.size() - 1).grad().square().sum().item());
        net.zeroGrad();
        return new double[] {first, last};
    }

    private static double train(Sequential net, Tensor x, Tensor y) {
        Sgd opt = new Sgd(net.parameters().values(), 0.02, 0.9, false, 0);
        double loss = 0;
        for (int step = 0; step < 400; step++) {
            opt.zeroGrad();
            Tensor l = Losses.mse(net.forward(x), y);
            l.backward();
            // the residual stack's outputs grow with depth (each sigmoid block adds about 1/2): clip both nets alike
            dev.autodiff.nn.optim.Clipping.clipGradNorm(net.parameters().values(), 5.0);
            opt.step();
            loss = l.item();
        }
        return loss;
    }
}
